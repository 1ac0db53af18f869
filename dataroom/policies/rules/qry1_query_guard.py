"""QRY-1: the room has an enforced, capped, encrypted Athena workgroup."""

from __future__ import annotations

from dataroom.policies.rules.base import Rule, RuleContext, Verdict


def _problems(props: dict) -> list[str]:  # type: ignore[type-arg]
    config = props.get("WorkGroupConfiguration", {})
    problems = []
    if config.get("EnforceWorkGroupConfiguration") is not True:
        problems.append("configuration not enforced")
    if not config.get("BytesScannedCutoffPerQuery"):
        problems.append("no bytes-scanned cut-off")
    encryption = config.get("ResultConfiguration", {}).get("EncryptionConfiguration", {})
    if encryption.get("EncryptionOption") not in ("SSE_KMS", "CSE_KMS"):
        problems.append("results not encrypted with KMS")
    if config.get("PublishCloudWatchMetricsEnabled") is not True:
        problems.append("no CloudWatch metrics")
    return problems


def check(ctx: RuleContext) -> Verdict:
    workgroups = list(ctx.resources("AWS::Athena::WorkGroup"))
    if not workgroups:
        return ["no Athena workgroup"]
    return [f"{lid}: {p}" for lid, wg in workgroups for p in _problems(wg.get("Properties", {}))]


RULE = Rule(
    rule_id="QRY1QueryGuard",
    control="QRY-1",
    info="The room has no Athena workgroup with enforced settings, a per-query cut-off, "
    "KMS-encrypted results and metrics.",
    explanation="Shared query infrastructure is where exploration can hurt production; the "
    "workgroup's cut-off bounds every query the room runs.",
    resource_types=frozenset({"AWS::EC2::VPC"}),
    check=check,
    rooms_only=True,
)
