"""WBN-1: a notebook runs inside the glovebox: no internet, no root, room key, room subnet."""

from __future__ import annotations

from typing import Any

from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.template_policy import as_list


def _refers_to_type(ctx: RuleContext, value: Any, *types: str) -> bool:
    """Whether ``value`` is a Ref/GetAtt of a resource of one of ``types`` in this template."""
    if isinstance(value, dict):
        target = value.get("Ref")
        get_att = value.get("Fn::GetAtt")
        if target is None and isinstance(get_att, list) and get_att:
            target = get_att[0]
        resource = ctx.template.get("Resources", {}).get(str(target))
        return resource is not None and resource.get("Type") in types
    return False


def check(ctx: RuleContext) -> Verdict:
    props = ctx.properties
    findings = []
    # Absent means SageMaker's default, which is the open setting.
    if props.get("DirectInternetAccess") != "Disabled":
        findings.append(
            f"direct internet access: {props.get('DirectInternetAccess', 'Enabled (default)')}"
        )
    if props.get("RootAccess") != "Disabled":
        findings.append(f"root access: {props.get('RootAccess', 'Enabled (default)')}")
    if not _refers_to_type(ctx, props.get("KmsKeyId"), "AWS::KMS::Key"):
        findings.append("volume not encrypted with a key of the room (KmsKeyId)")
    if not _refers_to_type(ctx, props.get("SubnetId"), "AWS::EC2::Subnet"):
        findings.append("not in a subnet of the room's VPC (SubnetId)")
    groups = as_list(props.get("SecurityGroupIds"))
    if not groups or not all(_refers_to_type(ctx, g, "AWS::EC2::SecurityGroup") for g in groups):
        findings.append("not behind a security group of the room (SecurityGroupIds)")
    imds = props.get("InstanceMetadataServiceConfiguration") or {}
    if str(imds.get("MinimumInstanceMetadataServiceVersion")) != "2":
        findings.append("instance metadata service v1 allowed (IMDSv2 not required)")
    return findings


RULE = Rule(
    rule_id="WBN1NotebookIsolated",
    control="WBN-1",
    info="A notebook instance has direct internet access or root, an unencrypted volume, or runs "
    "outside the room's subnets and security groups.",
    explanation="A notebook is where room data is handled in the clear: with internet access it is "
    "an exfiltration path no endpoint policy closes, with root its user can undo every control "
    "on the instance, and outside the room's subnets it is outside the glovebox.",
    resource_types=frozenset({"AWS::SageMaker::NotebookInstance"}),
    check=check,
    never_suppressible=True,
)
