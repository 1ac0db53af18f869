"""``dataroom audit``: compare deployed accounts with the cloud assembly and the baseline (DRF-3).

The synth-time gate (DRF-2) proves that the *templates* are as strong as production's baseline;
this package proves that the *accounts* still hold what those templates deployed, and that
nothing was added beside them. It reads a cloud assembly (``cdk.out``), finds each stack's
deployed resources with CloudFormation's ``ListStackResources`` (logical id -> physical id), and
runs one checker per resource type (:mod:`dataroom.audit.checkers`), each comparing every
property that makes its control effective (:mod:`dataroom.audit.expectations`), with the
template's intrinsics resolved against the deployed ids (:mod:`dataroom.audit.resolver`). Then,
once per account, it inventories every enabled region for what opens a path or blinds
monitoring and was not declared (:mod:`dataroom.audit.discovery`), checks every baseline field
(:mod:`dataroom.audit.baseline_checks`) and the alert path (:mod:`dataroom.audit.alert_path`).

Every comparison is a :class:`Finding` with a control id and a status:

- ``ok``: read, and as expected;
- ``drift``: read, and different (a wider policy, logging stopped, an internet gateway, ...);
- ``missing``: the resource (or the stack) is not there any more;
- ``unverifiable``: not read or not comparable (an API the endpoint does not implement, a refused
  call, an intrinsic the audit cannot resolve). Never counted as ``ok``.

The audit only reads (``--probe`` excepted, which sends one test event and removes what it
created). Its permissions are ``dataroom/audit/policy.json``.
"""

from __future__ import annotations

from dataroom.audit.assembly import StackArtifact, read_assembly, select_stacks
from dataroom.audit.errors import (
    AssemblyError,
    AuditError,
    UnresolvableError,
    UnverifiableError,
)
from dataroom.audit.findings import (
    AUDIT_CONTROL,
    STATUS_ORDER,
    AuditReport,
    Finding,
    StackOutcome,
    Status,
)
from dataroom.audit.policy import canonical_policy, parse_policy, policy_difference
from dataroom.audit.report import render_table
from dataroom.audit.resolver import NO_VALUE, DeployedResource, Resolver
from dataroom.audit.runner import (
    DEFAULT_CONCURRENCY,
    ClientFactory,
    assume_role_factory,
    audit_assembly,
    default_client_factory,
)

__all__ = [
    "AUDIT_CONTROL",
    "DEFAULT_CONCURRENCY",
    "NO_VALUE",
    "STATUS_ORDER",
    "AssemblyError",
    "AuditError",
    "AuditReport",
    "ClientFactory",
    "DeployedResource",
    "Finding",
    "Resolver",
    "StackArtifact",
    "StackOutcome",
    "Status",
    "UnresolvableError",
    "UnverifiableError",
    "assume_role_factory",
    "audit_assembly",
    "canonical_policy",
    "default_client_factory",
    "parse_policy",
    "policy_difference",
    "read_assembly",
    "render_table",
    "select_stacks",
]
