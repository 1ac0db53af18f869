"""The alert topics (MON-4): still there, still encrypted with the template's key, and their
policy as declared (a policy that no longer admits EventBridge or CloudWatch silences alerts)."""

from __future__ import annotations

from typing import Any

from dataroom.audit.context import StackAudit
from dataroom.audit.errors import error_code
from dataroom.audit.findings import Status
from dataroom.audit.registry import Checker
from dataroom.audit.resolver import DeployedResource


def check_topic(
    audit: StackAudit, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
) -> None:
    """Exists; the template's KMS key; the template's topic policy, compared by meaning."""
    if deployed is None:
        return
    kind, arn = "AWS::SNS::Topic", deployed.physical_id
    target = (logical_id, arn, kind)
    sns = audit.clients("sns")
    found = audit.fetch(
        "MON-4",
        target,
        lambda: sns.get_topic_attributes(TopicArn=arn)["Attributes"],
        lambda e: error_code(e) in ("NotFound", "NotFoundException"),
        what=f"topic {arn}",
    )
    if found is None:
        return
    if "KmsMasterKeyId" in props:

        def key() -> tuple[str, str, Status]:
            want = audit.key_id(audit.resolver.resolve_str(props["KmsMasterKeyId"]))
            have = str(found.get("KmsMasterKeyId") or "")
            same = bool(have) and audit.key_id(have) == want
            return f"KMS key {want}", have or "not encrypted with KMS", "ok" if same else "drift"

        audit.run("MON-4", target, "KMS encryption", key)
    policies = [
        p["PolicyDocument"]
        for _, p in audit.of_type("AWS::SNS::TopicPolicy")
        if {"Ref": logical_id} in p.get("Topics", [])
    ]
    if policies:
        audit.run(
            "MON-4",
            target,
            "topic policy",
            lambda: audit.policy(policies[0], found.get("Policy")),
        )


CHECKER = Checker("AWS::SNS::Topic", "MON-4", check_topic)
