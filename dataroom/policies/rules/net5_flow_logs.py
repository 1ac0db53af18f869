"""NET-5: the room VPC's flow log captures ALL traffic into a KMS-encrypted log group of the room.

Judged by effect: the flow log's destination must be a CloudWatch Logs group of this template,
encrypted with a KMS key and with retention (DRF2LogRetention holds it to production's).
"""

from __future__ import annotations

from typing import Any

from dataroom.controls.network import FLOW_LOG_TRAFFIC
from dataroom.policies.rules.base import Rule, RuleContext, Verdict, ref_target
from dataroom.template_policy import refers_to


def destination_problems(ctx: RuleContext, props: dict[str, Any]) -> list[str]:
    """Why a flow log's destination is not the room's encrypted log group (shared with review)."""
    if props.get("LogDestinationType", "cloud-watch-logs") != "cloud-watch-logs":
        return [f"destination type {props.get('LogDestinationType')}, not the room's log group"]
    group_id = ref_target(props.get("LogDestination")) or ref_target(props.get("LogGroupName"))
    group = ctx.template.get("Resources", {}).get(group_id or "", {})
    if group.get("Type") != "AWS::Logs::LogGroup":
        return ["destination is not a log group of the room's template"]
    found = []
    if not group.get("Properties", {}).get("KmsKeyId"):
        found.append(f"log group {group_id} not encrypted with KMS")
    return found


def check(ctx: RuleContext) -> Verdict:
    findings: list[str] = []
    for lid, flow_log in ctx.resources("AWS::EC2::FlowLog"):
        props = flow_log.get("Properties", {})
        if not refers_to(props.get("ResourceId"), ctx.logical_id):
            continue
        if props.get("TrafficType") != FLOW_LOG_TRAFFIC:
            findings.append(f"{lid}: traffic {props.get('TrafficType')}, not {FLOW_LOG_TRAFFIC}")
            continue
        problems = destination_problems(ctx, props)
        if not problems:
            return True
        findings.extend(f"{lid}: {p}" for p in problems)
    return findings or ["no flow log of the VPC"]


RULE = Rule(
    rule_id="NET5FlowLogs",
    control="NET-5",
    info="The VPC has no flow log of ALL traffic into a KMS-encrypted log group of the room.",
    explanation="Flow logs are the only record of what left or tried to leave the glovebox; "
    "they belong in the room's encrypted, retained log group.",
    resource_types=frozenset({"AWS::EC2::VPC"}),
    check=check,
    never_suppressible=True,
    rooms_only=True,
)
