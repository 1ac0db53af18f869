"""VPC endpoints (NET-2 interface: state, private DNS, groups; NET-3 gateway: policy) and the
endpoints' security group (NET-2: HTTPS from the VPC only, exactly the template's rules)."""

from __future__ import annotations

from typing import Any

from dataroom.audit.context import StackAudit, flag
from dataroom.audit.errors import error_code
from dataroom.audit.findings import Status
from dataroom.audit.registry import Checker
from dataroom.audit.resolver import DeployedResource


def check_endpoint(
    audit: StackAudit, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
) -> None:
    if deployed is None:  # only checkers that find unlisted resources get none
        return
    kind, endpoint_id = "AWS::EC2::VPCEndpoint", deployed.physical_id
    control = "NET-2" if props.get("VpcEndpointType") == "Interface" else "NET-3"
    target = (logical_id, endpoint_id, kind)
    ec2 = audit.clients("ec2")
    endpoint = audit.fetch(
        control,
        target,
        lambda: ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"][0],
        lambda e: error_code(e).startswith("InvalidVpcEndpointId"),
        what=f"endpoint {endpoint_id}",
    )
    if endpoint is None:
        return

    def state() -> tuple[str, str, Status]:
        have = str(endpoint.get("State", ""))
        return "available", have, "ok" if have.lower() in ("available", "pending") else "drift"

    audit.run(control, target, "state", state)
    if "PolicyDocument" in props:
        audit.run(
            control,
            target,
            "endpoint policy",
            lambda: audit.policy(props["PolicyDocument"], endpoint.get("PolicyDocument")),
        )
    if "PrivateDnsEnabled" in props:
        audit.run(
            control,
            target,
            "private DNS",
            lambda: flag(bool(props["PrivateDnsEnabled"]), bool(endpoint.get("PrivateDnsEnabled"))),
        )
    if "SecurityGroupIds" in props:

        def groups() -> tuple[str, str, Status]:
            want = sorted(str(g) for g in audit.resolver.resolve(props["SecurityGroupIds"]))
            have = sorted(str(g.get("GroupId")) for g in endpoint.get("Groups", []))
            return ", ".join(want), ", ".join(have) or "none", "ok" if want == have else "drift"

        audit.run(control, target, "security groups", groups)


def _rules(permissions: list[dict[str, Any]]) -> set[str]:
    """An API or template rule list as comparable lines (one per address range)."""
    out: set[str] = set()
    for p in permissions:
        protocol = str(p.get("IpProtocol", "-1"))
        ports = f"{p.get('FromPort', '')}-{p.get('ToPort', '')}" if protocol != "-1" else "all"
        head = f"{protocol} {ports}"
        for r in p.get("IpRanges", []):
            out.add(f"{head} from {r.get('CidrIp')}")
        for r in p.get("Ipv6Ranges", []):
            out.add(f"{head} from {r.get('CidrIpv6')}")
        for r in p.get("PrefixListIds", []):
            out.add(f"{head} from {r.get('PrefixListId')}")
        for r in p.get("UserIdGroupPairs", []):
            out.add(f"{head} from {r.get('GroupId')}")
        # The template's flat form (CloudFormation's SecurityGroupIngress/Egress entries).
        for key in ("CidrIp", "CidrIpv6", "SourcePrefixListId", "DestinationPrefixListId"):
            if p.get(key):
                out.add(f"{head} from {p[key]}")
        for key in ("SourceSecurityGroupId", "DestinationSecurityGroupId"):
            if p.get(key):
                out.add(f"{head} from {p[key]}")
    return out


def check_security_group(
    audit: StackAudit, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
) -> None:
    """Exactly the template's ingress and egress rules: anything added opens a path."""
    if deployed is None:
        return
    kind, group_id = "AWS::EC2::SecurityGroup", deployed.physical_id
    target = (logical_id, group_id, kind)
    ec2 = audit.clients("ec2")
    group = audit.fetch(
        "NET-2",
        target,
        lambda: ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0],
        lambda e: error_code(e).startswith("InvalidGroup"),
        what=f"security group {group_id}",
    )
    if group is None:
        return
    # CDK's "disallow all traffic" placeholder: an impossible ICMP rule to 255.255.255.255/32.
    for direction, template_key, api_key in (
        ("ingress", "SecurityGroupIngress", "IpPermissions"),
        ("egress", "SecurityGroupEgress", "IpPermissionsEgress"),
    ):

        def compare(t: str = template_key, a: str = api_key) -> tuple[str, str, Status]:
            want = _rules(audit.resolver.resolve(props.get(t, [])))
            have = _rules(group.get(a, []))
            if t == "SecurityGroupEgress" and t not in props:
                # No egress in the template: AWS's default allow-all egress.
                want = {"-1 all from 0.0.0.0/0"}
            expected = "; ".join(sorted(want)) or "none"
            extra, lacking = sorted(have - want), sorted(want - have)
            if not extra and not lacking:
                return expected, "the same", "ok"
            parts = (["extra: " + "; ".join(extra)] if extra else []) + (
                ["lacking: " + "; ".join(lacking)] if lacking else []
            )
            return expected, ", ".join(parts), "drift"

        audit.run("NET-2", target, f"{direction} rules", compare)


CHECKERS = (
    Checker("AWS::EC2::VPCEndpoint", "NET-2", check_endpoint),
    Checker("AWS::EC2::SecurityGroup", "NET-2", check_security_group),
)
