"""Every checker of the audit, by resource type (the audit's counterpart of the rule catalogue)."""

from __future__ import annotations

from dataroom.audit.checkers import (
    athena,
    bucket,
    config,
    dns_firewall,
    endpoint,
    events,
    guardduty,
    iam,
    kms,
    lambda_function,
    logs,
    sns,
    sns_topic,
    trail,
    vpc,
)
from dataroom.audit.registry import Checker

CHECKERS: tuple[Checker, ...] = (
    trail.CHECKER,
    guardduty.CHECKER,
    *vpc.CHECKERS,
    *endpoint.CHECKERS,
    bucket.CHECKER,
    kms.CHECKER,
    *iam.CHECKERS,
    *config.CHECKERS,
    logs.CHECKER,
    athena.CHECKER,
    lambda_function.CHECKER,
    events.CHECKER,
    sns.CHECKER,
    sns_topic.CHECKER,
    dns_firewall.CHECKER,
)
#: Resource type -> its checker.
BY_TYPE: dict[str, Checker] = {c.resource_type: c for c in CHECKERS}
if len(BY_TYPE) != len(CHECKERS):  # pragma: no cover - a wiring mistake, caught by the tests
    raise RuntimeError("two audit checkers claim the same resource type")
