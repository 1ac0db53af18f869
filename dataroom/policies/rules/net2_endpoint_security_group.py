"""NET-2: an interface endpoint's security groups admit only HTTPS from the VPC, and send nothing.

Judged on the security group at fault: ingress must be TCP 443 from the CIDR of a VPC of the
template (or its ``CidrBlock`` attribute); egress must be CDK's disallow-all placeholder or none
(an endpoint answers connections, it never opens any).
"""

from __future__ import annotations

from typing import Any

from dataroom.controls.network import ENDPOINT_PORT
from dataroom.policies.rules.base import Rule, RuleContext, Verdict, ref_target
from dataroom.template_policy import as_list, refers_to

#: The egress rule CDK writes for ``allow_all_outbound=False``: matches no real traffic.
DISALLOW_ALL = {"CidrIp": "255.255.255.255/32", "IpProtocol": "icmp", "FromPort": 252,
                "ToPort": 86}  # fmt: skip


def _endpoint_group(ctx: RuleContext) -> bool:
    for _, endpoint in ctx.resources("AWS::EC2::VPCEndpoint"):
        groups = as_list(endpoint.get("Properties", {}).get("SecurityGroupIds"))
        if any(refers_to(g, ctx.logical_id) for g in groups):
            return True
    return False


def _vpc_cidr(ctx: RuleContext, source: Any) -> bool:
    vpcs = dict(ctx.resources("AWS::EC2::VPC"))
    if isinstance(source, dict) and "Fn::GetAtt" in source:
        return ref_target(source) in vpcs and "CidrBlock" in str(source["Fn::GetAtt"])
    return any(v.get("Properties", {}).get("CidrBlock") == source for v in vpcs.values())


def _rules(ctx: RuleContext, inline: str, kind: str) -> list[dict[str, Any]]:
    rules = [r for r in as_list(ctx.properties.get(inline)) if isinstance(r, dict)]
    for _, resource in ctx.resources(kind):
        props = resource.get("Properties", {})
        if refers_to(props.get("GroupId"), ctx.logical_id):
            rules.append(props)
    return rules


def check(ctx: RuleContext) -> Verdict:
    if not _endpoint_group(ctx):
        return None
    findings = []
    for rule in _rules(ctx, "SecurityGroupIngress", "AWS::EC2::SecurityGroupIngress"):
        https = (
            str(rule.get("IpProtocol")) in ("tcp", "6")
            and rule.get("FromPort") == rule.get("ToPort") == ENDPOINT_PORT
        )
        source = rule.get("CidrIp") or rule.get("CidrIpv6") or rule.get("SourceSecurityGroupId")
        if not https or not _vpc_cidr(ctx, rule.get("CidrIp")):
            findings.append(
                f"ingress {rule.get('IpProtocol')} {rule.get('FromPort')}-{rule.get('ToPort')} "
                f"from {source}: only {ENDPOINT_PORT}/tcp from the VPC CIDR"
            )
    for rule in _rules(ctx, "SecurityGroupEgress", "AWS::EC2::SecurityGroupEgress"):
        if {k: rule.get(k) for k in DISALLOW_ALL} != DISALLOW_ALL:
            findings.append(f"egress {rule.get('IpProtocol')} to {rule.get('CidrIp')}: none needed")
    if "SecurityGroupEgress" not in ctx.properties:
        findings.append("no egress rules: CloudFormation then allows all outbound traffic")
    return findings


RULE = Rule(
    rule_id="NET2EndpointSecurityGroup",
    control="NET-2",
    info="An interface endpoint's security group admits more than HTTPS from the VPC, or allows "
    "egress.",
    explanation="Endpoints are the glovebox's only way to AWS: they answer 443 from inside the "
    "VPC and nothing else, and never originate traffic.",
    resource_types=frozenset({"AWS::EC2::SecurityGroup"}),
    check=check,
    never_suppressible=True,
    room_accounts_only=True,
)
