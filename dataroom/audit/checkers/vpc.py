"""The room VPC (NET-1: no path out; NET-5: flow logs) and its flow log."""

from __future__ import annotations

import functools
from typing import Any

from dataroom.audit.context import StackAudit, equal, none_of, paginate
from dataroom.audit.errors import error_code
from dataroom.audit.expectations import (
    INTERNET_DESTINATIONS,
    LIVE_ATTACHMENT_STATES,
    LIVE_PEERING_STATES,
)
from dataroom.audit.findings import Status
from dataroom.audit.registry import Checker
from dataroom.audit.resolver import DeployedResource
from dataroom.controls.network import ROUTE_TARGETS


def route_target(route: dict[str, Any]) -> str:
    """Where a route leads (``local``, a gateway id, an attachment, ...)."""
    for key in ROUTE_TARGETS:
        if route.get(key):
            return str(route[key])
    return "?"


def route_destination(route: dict[str, Any]) -> str:
    """A route's destination (CIDR, IPv6 CIDR or prefix list)."""
    return str(
        route.get("DestinationCidrBlock")
        or route.get("DestinationIpv6CidrBlock")
        or route.get("DestinationPrefixListId")
        or "?"
    )


def leaves_the_vpc(route: dict[str, Any]) -> bool:
    """A route to anything but the VPC itself or a gateway endpoint (S3, DynamoDB)."""
    target = route_target(route)
    return not (target == "local" or target.startswith("vpce-"))


def check_vpc(
    audit: StackAudit, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
) -> None:
    if deployed is None:  # only checkers that find unlisted resources get none
        return
    kind, vpc_id = "AWS::EC2::VPC", deployed.physical_id
    target = (logical_id, vpc_id, kind)
    ec2 = audit.clients("ec2")
    vpc = audit.fetch(
        "NET-1",
        target,
        lambda: ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0],
        lambda e: error_code(e) == "InvalidVpcID.NotFound",
        what=f"VPC {vpc_id}",
    )
    if vpc is None:
        return
    by_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]

    def gateways() -> tuple[str, str, Status]:
        found = ec2.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
        )["InternetGateways"]
        return none_of([g["InternetGatewayId"] for g in found])

    def nat_gateways() -> tuple[str, str, Status]:
        found = paginate(ec2, "describe_nat_gateways", "NatGateways", Filter=by_vpc)
        live = [g for g in found if g.get("State") in ("pending", "available")]
        return none_of([g["NatGatewayId"] for g in live])

    def egress_only() -> tuple[str, str, Status]:
        found = paginate(
            ec2, "describe_egress_only_internet_gateways", "EgressOnlyInternetGateways"
        )
        attached = [
            g["EgressOnlyInternetGatewayId"]
            for g in found
            if any(a.get("VpcId") == vpc_id for a in g.get("Attachments", []))
        ]
        return none_of(attached)

    def peerings() -> tuple[str, str, Status]:
        found = paginate(ec2, "describe_vpc_peering_connections", "VpcPeeringConnections")
        live = [
            p["VpcPeeringConnectionId"]
            for p in found
            if p.get("Status", {}).get("Code") in LIVE_PEERING_STATES
            and vpc_id
            in (
                p.get("RequesterVpcInfo", {}).get("VpcId"),
                p.get("AccepterVpcInfo", {}).get("VpcId"),
            )
        ]
        return none_of(live)

    @functools.cache
    def route_tables() -> list[dict[str, Any]]:
        # Read once: both route checks below judge the same tables.
        return list(paginate(ec2, "describe_route_tables", "RouteTables", Filters=by_vpc))

    def routes() -> tuple[str, str, Status]:
        tables = route_tables()
        open_routes = [
            f"{t['RouteTableId']}: {destination} -> {route_target(route)}"
            for t in tables
            for route in t.get("Routes", [])
            for destination in (
                route.get("DestinationCidrBlock"),
                route.get("DestinationIpv6CidrBlock"),
            )
            if destination in INTERNET_DESTINATIONS
        ]
        return none_of(open_routes)

    def beyond() -> tuple[str, str, Status]:
        tables = route_tables()
        found = [
            f"{t['RouteTableId']}: {route_destination(r)} -> {route_target(r)}"
            for t in tables
            for r in t.get("Routes", [])
            if leaves_the_vpc(r) and r.get("State", "active") != "blackhole"
        ]
        return none_of(found)

    def attachments() -> tuple[str, str, Status]:
        found = paginate(
            ec2,
            "describe_transit_gateway_vpc_attachments",
            "TransitGatewayVpcAttachments",
            Filters=by_vpc,
        )
        live = [
            f"{a['TransitGatewayAttachmentId']} to {a.get('TransitGatewayId')}"
            for a in found
            if a.get("State") in LIVE_ATTACHMENT_STATES
        ]
        return none_of(live)

    audit.run("NET-1", target, "no internet gateway attached", gateways)
    audit.run("NET-1", target, "no NAT gateway", nat_gateways)
    audit.run("NET-1", target, "no egress-only internet gateway", egress_only)
    audit.run("NET-1", target, "no VPC peering connection", peerings)
    audit.run("NET-1", target, "no route to 0.0.0.0/0 or ::/0", routes)
    audit.run("NET-1", target, "no route beyond the VPC", beyond)
    audit.run("NET-1", target, "no transit gateway attachment", attachments)

    def flow_logs() -> tuple[str, str, Status]:
        found = paginate(
            ec2,
            "describe_flow_logs",
            "FlowLogs",
            Filter=[{"Name": "resource-id", "Values": [vpc_id]}],
        )
        described = [
            f"{f['FlowLogId']} {f.get('TrafficType')} {f.get('FlowLogStatus')}" for f in found
        ]
        good = [
            f for f in found if f.get("FlowLogStatus") == "ACTIVE" and f.get("TrafficType") == "ALL"
        ]
        actual = ", ".join(described) or "no flow log"
        return "an ACTIVE flow log of ALL traffic", actual, "ok" if good else "drift"

    audit.run("NET-5", target, "flow log of ALL traffic active", flow_logs)


def check_flow_log(
    audit: StackAudit, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
) -> None:
    if deployed is None:  # only checkers that find unlisted resources get none
        return
    kind, flow_log_id = "AWS::EC2::FlowLog", deployed.physical_id
    target = (logical_id, flow_log_id, kind)
    ec2 = audit.clients("ec2")

    def read() -> Any:
        found = ec2.describe_flow_logs(FlowLogIds=[flow_log_id])["FlowLogs"]
        return found[0] if found else None

    flow_log = audit.fetch(
        "NET-5",
        target,
        read,
        lambda e: error_code(e).startswith("InvalidFlowLogId"),
        what=f"flow log {flow_log_id}",
    )
    if flow_log is None:
        return
    want_traffic = str(props.get("TrafficType", "ALL"))
    audit.run(
        "NET-5",
        target,
        "active",
        lambda: equal(
            f"ACTIVE, {want_traffic}",
            f"{flow_log.get('FlowLogStatus')}, {flow_log.get('TrafficType')}",
        ),
    )

    if "LogDestination" in props or "LogGroupName" in props:
        audit.run("NET-5", target, "destination", lambda: _destination(audit, props, flow_log))


def _destination(
    audit: StackAudit, props: dict[str, Any], flow_log: dict[str, Any]
) -> tuple[str, str, Status]:
    """The flow log still delivers to the template's log group, and that group still exists."""
    if "LogDestination" in props:
        want = audit.resolver.resolve_str(props["LogDestination"]).removesuffix(":*")
    else:
        want = audit.resolver.resolve_str(props["LogGroupName"])
    have = str(flow_log.get("LogDestination") or flow_log.get("LogGroupName") or "")
    same = have.removesuffix(":*") == want or have.endswith(f":log-group:{want}")
    if not same:
        return want, have or "none", "drift"
    if str(props.get("LogDestinationType", "cloud-watch-logs")) != "cloud-watch-logs":
        return want, have, "ok"
    group = want.split(":log-group:", 1)[-1].removesuffix(":*")
    groups = audit.clients("logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    if not any(g.get("logGroupName") == group for g in groups):
        return want, f"{have} (the log group no longer exists)", "drift"
    return want, have, "ok"


CHECKERS = (
    Checker("AWS::EC2::VPC", "NET-1", check_vpc),
    Checker("AWS::EC2::FlowLog", "NET-5", check_flow_log),
)
