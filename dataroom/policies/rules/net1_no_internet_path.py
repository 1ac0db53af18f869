"""NET-1: a room VPC has no path to the internet."""

from __future__ import annotations

from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.template_policy import refers_to

_GATEWAYS = (
    "AWS::EC2::InternetGateway",
    "AWS::EC2::EgressOnlyInternetGateway",
    "AWS::EC2::NatGateway",
    "AWS::EC2::VPCPeeringConnection",
    "AWS::EC2::TransitGatewayAttachment",
    "AWS::EC2::TransitGatewayVpcAttachment",
    "AWS::EC2::VPNGateway",
)
_DEFAULT_ROUTES = ("0.0.0.0/0", "::/0")


def check(ctx: RuleContext) -> Verdict:
    findings = [
        f"{resource['Type'].split('::')[-1]}:{lid}" for lid, resource in ctx.resources(*_GATEWAYS)
    ]
    for lid, attachment in ctx.resources("AWS::EC2::VPCGatewayAttachment"):
        if refers_to(attachment.get("Properties", {}).get("VpcId"), ctx.logical_id):
            findings.append(f"GatewayAttachment:{lid}")
    for lid, route in ctx.resources("AWS::EC2::Route"):
        props = route.get("Properties", {})
        if (
            props.get("DestinationCidrBlock") in _DEFAULT_ROUTES
            or props.get("DestinationIpv6CidrBlock") in _DEFAULT_ROUTES
        ):
            findings.append(f"DefaultRoute:{lid}")
    for lid, subnet in ctx.resources("AWS::EC2::Subnet"):
        props = subnet.get("Properties", {})
        if refers_to(props.get("VpcId"), ctx.logical_id) and props.get("MapPublicIpOnLaunch"):
            findings.append(f"PublicIpOnLaunch:{lid}")
    return findings


RULE = Rule(
    rule_id="NET1NoInternetPath",
    control="NET-1",
    info="The room's template has a path to the internet (gateway, NAT, peering, default route "
    "or public IPs).",
    explanation="A glovebox holds production data; any internet path is an exfiltration path. "
    "Rooms reach AWS through VPC endpoints only.",
    resource_types=frozenset({"AWS::EC2::VPC"}),
    check=check,
    never_suppressible=True,
    rooms_only=True,
)
