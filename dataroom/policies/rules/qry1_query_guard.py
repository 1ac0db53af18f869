"""QRY-1: the room's Athena workgroup is enforced, encrypted, and cuts queries off at the size
the manifest asks for (``query_limit_gb``) — not merely at some size. The finding lands on the
workgroup; a room without any workgroup is reported on its VPC."""

from __future__ import annotations

from typing import Any

from dataroom.controls.query import EXPECTED_CUTOFF_KEY, KMS_RESULT_ENCRYPTION
from dataroom.policies.rules.base import Rule, RuleContext, Verdict


def problems(props: dict[str, Any], expected_cutoff: int | None) -> list[str]:
    """What is wrong with a workgroup's properties (shared with the review)."""
    config = props.get("WorkGroupConfiguration", {})
    found = []
    if props.get("State", "ENABLED") != "ENABLED":
        found.append(f"workgroup state {props.get('State')}")
    if config.get("EnforceWorkGroupConfiguration") is not True:
        found.append("configuration not enforced")
    cutoff = config.get("BytesScannedCutoffPerQuery")
    if not cutoff:
        found.append("no bytes-scanned cut-off")
    elif expected_cutoff is not None and int(cutoff) != int(expected_cutoff):
        found.append(f"bytes-scanned cut-off {cutoff}, the manifest asks for {expected_cutoff}")
    encryption = config.get("ResultConfiguration", {}).get("EncryptionConfiguration", {})
    if encryption.get("EncryptionOption") not in KMS_RESULT_ENCRYPTION:
        found.append("results not encrypted with KMS")
    if config.get("PublishCloudWatchMetricsEnabled") is not True:
        found.append("no CloudWatch metrics")
    return found


def check(ctx: RuleContext) -> Verdict:
    if ctx.resource.get("Type") == "AWS::EC2::VPC":
        return True if any(ctx.resources("AWS::Athena::WorkGroup")) else ["no Athena workgroup"]
    expected = ctx.expect.get(EXPECTED_CUTOFF_KEY)
    return problems(ctx.properties, int(expected) if expected is not None else None)


RULE = Rule(
    rule_id="QRY1QueryGuard",
    control="QRY-1",
    info="The room has no Athena workgroup with enforced settings, the manifest's per-query "
    "cut-off, KMS-encrypted results and metrics.",
    explanation="Shared query infrastructure is where exploration can hurt production; the "
    "workgroup's cut-off (the manifest's query_limit_gb) bounds every query the room runs.",
    resource_types=frozenset({"AWS::EC2::VPC", "AWS::Athena::WorkGroup"}),
    check=check,
    never_suppressible=True,
    rooms_only=True,
)
