"""NET-1: no resource in a room's account opens a path to the internet or another network.

Judged on every stack of the app that targets a room's account (a sibling or
nested stack beside the room included), on the resource at fault: the gateway, the route, the
public subnet, the foreign endpoint, the open function URL, the notebook with direct internet.
"""

from __future__ import annotations

from typing import Any

from dataroom.controls.network import (
    AWS_SERVICE_PREFIXES,
    DEFAULT_ROUTES,
    INTERNET_PATH_TYPES,
    ROUTE_TARGETS,
)
from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.template_policy import as_list

_PUBLIC_IP_TYPES = ("AWS::EC2::Subnet", "AWS::EC2::Instance", "AWS::EC2::LaunchTemplate")
_OTHER_TYPES = (
    "AWS::EC2::Route",
    "AWS::EC2::VPCEndpoint",
    "AWS::Lambda::Url",
    "AWS::SageMaker::NotebookInstance",
)


def _true(value: Any) -> bool:
    return value in (True, "true", "True")


def _service_text(value: Any) -> str:
    """The literal text of an endpoint's ServiceName (joined pieces; references dropped)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = [*list(value["Fn::Join"]), "", []][:2]
        return str(separator).join(p if isinstance(p, str) else "${}" for p in as_list(parts))
    if isinstance(value, dict) and "Fn::Sub" in value:
        body = value["Fn::Sub"]
        return str(body[0] if isinstance(body, list) else body)
    return ""


def foreign_service(service_name: Any) -> bool:
    """Whether an endpoint's service is not one of AWS's (someone's PrivateLink service)."""
    text = _service_text(service_name)
    return not text.startswith(AWS_SERVICE_PREFIXES)


def _public_ip(kind: str, props: dict[str, Any]) -> bool:
    if kind == "AWS::EC2::Subnet":
        return _true(props.get("MapPublicIpOnLaunch")) or _true(
            props.get("AssignIpv6AddressOnCreation")
        )
    interfaces = props.get("NetworkInterfaces") or props.get("LaunchTemplateData", {}).get(
        "NetworkInterfaces"
    )
    return any(
        isinstance(i, dict) and _true(i.get("AssociatePublicIpAddress"))
        for i in as_list(interfaces)
    )


def check(ctx: RuleContext) -> Verdict:
    kind = str(ctx.resource.get("Type"))
    props = ctx.properties
    if kind in INTERNET_PATH_TYPES:
        return [f"{INTERNET_PATH_TYPES[kind]} {ctx.logical_id}"]
    if kind == "AWS::EC2::Route":
        destination = props.get("DestinationCidrBlock") or props.get("DestinationIpv6CidrBlock")
        targets = [t for t in ROUTE_TARGETS if t in props]
        if destination in DEFAULT_ROUTES or targets:
            return [f"route {ctx.logical_id} to {destination} via {', '.join(targets) or '?'}"]
        return True
    if kind in _PUBLIC_IP_TYPES:
        return [f"{kind} {ctx.logical_id} assigns public IPs"] if _public_ip(kind, props) else True
    if kind == "AWS::EC2::VPCEndpoint":
        if foreign_service(props.get("ServiceName")):
            return [f"endpoint {ctx.logical_id} to a non-AWS (foreign PrivateLink) service"]
        return True
    if kind == "AWS::Lambda::Url":
        if props.get("AuthType") == "NONE":
            return [f"function URL {ctx.logical_id} without authentication (AuthType NONE)"]
        return True
    if kind == "AWS::SageMaker::NotebookInstance":
        if props.get("DirectInternetAccess", "Enabled") != "Disabled" or not props.get("SubnetId"):
            return [f"notebook {ctx.logical_id} has direct internet access"]
        return True
    return None


RULE = Rule(
    rule_id="NET1NoInternetPath",
    control="NET-1",
    info="A stack in a room's account opens a path to the internet or another "
    "network (gateway, NAT, VPN, peering, transit, default route, public IP, foreign endpoint, "
    "open function URL, notebook with direct internet).",
    explanation="A glovebox holds production data; any internet path in its account is an "
    "exfiltration path, whichever stack of the app adds it. Rooms reach AWS through VPC "
    "endpoints only.",
    resource_types=frozenset({*INTERNET_PATH_TYPES, *_PUBLIC_IP_TYPES, *_OTHER_TYPES}),
    check=check,
    never_suppressible=True,
    room_accounts_only=True,
)
