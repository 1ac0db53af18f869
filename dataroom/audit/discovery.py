"""Discovery: what was added to an account beside the templates (class 1 of issue 18).

The checkers judge what the templates declare; an attacker (or a careless admin) adds things
beside them. For every enabled region of a room account (``ec2:DescribeRegions``), and for the
account's global IAM, the audit inventories each kind of resource that can open a path out of
the room or blind its monitoring, and reports every one the templates did not declare:

========  =====================================================================================
NET-1     VPCs (default ones included) with an internet gateway attached, or a route that
          leaves the VPC (to a NAT or egress-only gateway, a peering, a transit gateway, an
          instance or interface); interface endpoints
          to a service that is not AWS (PrivateLink into someone else's network) or added to a
          declared VPC; Lambda function URLs with ``AuthType NONE``; SageMaker notebooks with
          direct internet access
IAM-1     IAM users with an active access key; roles trusting another account (or anyone)
S3-2      KMS grants to another account
MON-1     trails that are not logging
MON-3     GuardDuty filters that auto-archive findings
========  =====================================================================================

In production, only the approved-reader surface is inventoried: roles that another account can
assume (a room's path to the datasets other than the declared read role).

Each kind gives one ``ok`` row when nothing undeclared was found, one ``drift`` row per
undeclared resource, and one ``unverifiable`` row naming the regions it could not read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from dataroom.audit.checkers.vpc import leaves_the_vpc, route_destination, route_target
from dataroom.audit.context import paginate
from dataroom.audit.errors import describe_failure, raise_if_fatal
from dataroom.audit.expectations import (
    AWS_SERVICE_PREFIXES,
)
from dataroom.audit.findings import Finding, Status
from dataroom.audit.policy import as_list, parse_policy

#: ``clients(service, region)`` in the audited account.
Clients = Callable[[str, str], Any]
_ACCOUNT_IN_ARN = re.compile(r"^arn:[^:]+:[^:]*:[^:]*:(\d{12}):")


@dataclass(frozen=True)
class Item:
    """One resource found: its id, where, and what makes it a path or a blind spot."""

    physical_id: str
    resource_type: str
    region: str
    description: str


@dataclass
class Declared:
    """What the account's templates declare (physical ids from ``ListStackResources``)."""

    ids: set[str] = field(default_factory=set)
    vpcs: set[str] = field(default_factory=set)
    role_names: set[str] = field(default_factory=set)
    trail_names: set[str] = field(default_factory=set)
    #: Roles the audit itself uses (``--role-name``): expected to trust the auditing account.
    audit_roles: set[str] = field(default_factory=set)
    #: Accounts a role may trust or a key grant to (``--trusted-account``: the deployment
    #: pipeline's, the auditors').
    trusted_accounts: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Kind:
    """One kind of resource the inventory looks for."""

    control: str
    label: str
    #: ``scan(clients, region, account, declared)`` -> undeclared items; raises on read failure.
    scan: Callable[[Clients, str, str, Declared], list[Item]]
    regional: bool = True
    room_only: bool = True


def _account_of(principal: str) -> str | None:
    if re.fullmatch(r"\d{12}", principal):
        return principal
    match = _ACCOUNT_IN_ARN.match(principal)
    return match.group(1) if match else None


def foreign_principals(document: Any, account: str, trusted: Iterable[str] = ()) -> list[str]:
    """The ``AWS`` principals of allowing statements that are not this account's (``*`` too),
    nor of a ``trusted`` account."""
    mine = {account, *trusted}
    out: list[str] = []
    for statement in as_list(parse_policy(document).get("Statement", [])):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal", {})
        values = ["*"] if principal == "*" else as_list(principal.get("AWS", []))
        for value in values:
            value = str(value)
            if value == "*" or _account_of(value) not in (*mine, None):
                out.append(value)
    return sorted(set(out))


# --- NET-1 ----------------------------------------------------------------------------------


def _vpc_paths(clients: Clients, region: str, account: str, declared: Declared) -> list[Item]:
    """Undeclared VPCs with an internet gateway or a route that leaves them.

    A NAT, a peering or a transit gateway attachment carries nothing without a route to it, and
    every such path is a route: one read of the route tables finds them all (the declared VPCs'
    own gateways and attachments are the VPC checker's).
    """
    ec2 = clients("ec2", region)
    vpcs = {
        str(v["VpcId"]): bool(v.get("IsDefault"))
        for v in paginate(ec2, "describe_vpcs", "Vpcs")
        if v["VpcId"] not in declared.vpcs
    }
    if not vpcs:
        return []
    paths: dict[str, list[str]] = {vpc: [] for vpc in vpcs}
    # An internet gateway is reported attached, routed or not: it is the one path a single
    # route (or a public IP) turns on.
    for gateway in paginate(ec2, "describe_internet_gateways", "InternetGateways"):
        for attachment in gateway.get("Attachments", []):
            if attachment.get("VpcId") in paths:
                paths[attachment["VpcId"]].append(
                    f"internet gateway {gateway['InternetGatewayId']}"
                )
    for table in paginate(ec2, "describe_route_tables", "RouteTables"):
        if table.get("VpcId") not in paths:
            continue
        for route in table.get("Routes", []):
            if leaves_the_vpc(route) and route.get("State", "active") != "blackhole":
                paths[table["VpcId"]].append(
                    f"route {route_destination(route)} -> {route_target(route)}"
                )
    return [
        Item(
            vpc,
            "AWS::EC2::VPC",
            region,
            f"{'default ' if vpcs[vpc] else ''}VPC {vpc} with " + ", ".join(sorted(set(found))),
        )
        for vpc, found in sorted(paths.items())
        if found
    ]


def _endpoints(clients: Clients, region: str, account: str, declared: Declared) -> list[Item]:
    ec2 = clients("ec2", region)
    out = []
    for endpoint in paginate(ec2, "describe_vpc_endpoints", "VpcEndpoints"):
        endpoint_id = str(endpoint["VpcEndpointId"])
        if endpoint_id in declared.ids or endpoint.get("State", "").lower() in (
            "deleted",
            "deleting",
            "rejected",
            "failed",
        ):
            continue
        service = str(endpoint.get("ServiceName", ""))
        foreign = not service.startswith(AWS_SERVICE_PREFIXES)
        if foreign or endpoint.get("VpcId") in declared.vpcs:
            what = "a service outside AWS" if foreign else "an AWS service"
            out.append(
                Item(
                    endpoint_id,
                    "AWS::EC2::VPCEndpoint",
                    region,
                    f"endpoint {endpoint_id} in {endpoint.get('VpcId')} to {what}: {service}",
                )
            )
    return out


def _function_urls(clients: Clients, region: str, account: str, declared: Declared) -> list[Item]:
    client = clients("lambda", region)
    out = []
    for function in paginate(client, "list_functions", "Functions"):
        name = str(function["FunctionName"])
        try:
            url = client.get_function_url_config(FunctionName=name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                continue
            raise
        if url.get("AuthType") == "NONE":
            out.append(
                Item(
                    name,
                    "AWS::Lambda::Url",
                    region,
                    f"function {name} has a public URL without auth: {url.get('FunctionUrl')}",
                )
            )
    return out


def _notebooks(clients: Clients, region: str, account: str, declared: Declared) -> list[Item]:
    client = clients("sagemaker", region)
    out = []
    for notebook in paginate(client, "list_notebook_instances", "NotebookInstances"):
        name = str(notebook["NotebookInstanceName"])
        described = client.describe_notebook_instance(NotebookInstanceName=name)
        if described.get("DirectInternetAccess", "Enabled") == "Enabled":
            out.append(
                Item(
                    name,
                    "AWS::SageMaker::NotebookInstance",
                    region,
                    f"notebook {name} has direct internet access",
                )
            )
    return out


# --- IAM-1, S3-2 ----------------------------------------------------------------------------


def _users_with_keys(clients: Clients, region: str, account: str, declared: Declared) -> list[Item]:
    iam = clients("iam", region)
    out = []
    for user in paginate(iam, "list_users", "Users"):
        name = str(user["UserName"])
        if name in declared.ids:
            continue
        keys = paginate(iam, "list_access_keys", "AccessKeyMetadata", UserName=name)
        active = [str(k["AccessKeyId"]) for k in keys if k.get("Status") == "Active"]
        if active:
            out.append(
                Item(
                    name,
                    "AWS::IAM::User",
                    "global",
                    f"user {name} with active access key(s) {', '.join(active)}",
                )
            )
    return out


def _foreign_trust(clients: Clients, region: str, account: str, declared: Declared) -> list[Item]:
    iam = clients("iam", region)
    out = []
    for role in paginate(iam, "list_roles", "Roles"):
        name = str(role["RoleName"])
        if (
            name in declared.role_names
            or name in declared.audit_roles
            or str(role.get("Path", "/")).startswith("/aws-service-role/")
        ):
            continue
        foreign = foreign_principals(
            role.get("AssumeRolePolicyDocument", {}), account, declared.trusted_accounts
        )
        if foreign:
            out.append(
                Item(
                    name,
                    "AWS::IAM::Role",
                    "global",
                    f"role {name} trusts {', '.join(foreign)}",
                )
            )
    return out


def _foreign_grants(clients: Clients, region: str, account: str, declared: Declared) -> list[Item]:
    kms = clients("kms", region)
    out = []
    for key in paginate(kms, "list_keys", "Keys"):
        key_id = str(key["KeyId"])
        for grant in paginate(kms, "list_grants", "Grants", KeyId=key_id):
            grantee = str(grant.get("GranteePrincipal", ""))
            owner = _account_of(grantee)
            if owner is not None and owner not in (account, *declared.trusted_accounts):
                out.append(
                    Item(
                        str(grant.get("GrantId", "")),
                        "AWS::KMS::Grant",
                        region,
                        f"key {key_id} grants {', '.join(grant.get('Operations', []))} "
                        f"to {grantee}",
                    )
                )
    return out


# --- MON-1, MON-3 ---------------------------------------------------------------------------


def _stopped_trails(clients: Clients, region: str, account: str, declared: Declared) -> list[Item]:
    """Every trail of the account (``ListTrails`` lists all regions'), each asked in its home."""
    out = []
    for trail in paginate(clients("cloudtrail", region), "list_trails", "Trails"):
        name, home = str(trail.get("Name")), str(trail.get("HomeRegion") or region)
        if name in declared.trail_names:
            continue  # the trail checker judges it
        status = clients("cloudtrail", home).get_trail_status(Name=str(trail.get("TrailARN")))
        if not status.get("IsLogging"):
            out.append(Item(name, "AWS::CloudTrail::Trail", home, f"trail {name} is not logging"))
    return out


def _archiving_filters(
    clients: Clients, region: str, account: str, declared: Declared
) -> list[Item]:
    guardduty = clients("guardduty", region)
    out = []
    for detector in guardduty.list_detectors().get("DetectorIds", []):
        for name in paginate(guardduty, "list_filters", "FilterNames", DetectorId=detector):
            found = guardduty.get_filter(DetectorId=detector, FilterName=name)
            if str(found.get("Action", "")).upper() == "ARCHIVE":
                criteria = json.dumps(found.get("FindingCriteria", {}), sort_keys=True)
                out.append(
                    Item(
                        f"{detector}/{name}",
                        "AWS::GuardDuty::Filter",
                        region,
                        f"filter {name} auto-archives findings matching {criteria}",
                    )
                )
    return out


KINDS: tuple[Kind, ...] = (
    Kind("NET-1", "VPC with a path out", _vpc_paths),
    Kind("NET-1", "VPC endpoint", _endpoints),
    Kind("NET-1", "Lambda function URL without auth", _function_urls),
    Kind("NET-1", "SageMaker notebook with direct internet", _notebooks),
    Kind("IAM-1", "IAM user with an access key", _users_with_keys, regional=False),
    Kind("IAM-1", "role trusting another account", _foreign_trust, regional=False, room_only=False),
    Kind("S3-2", "KMS grant to another account", _foreign_grants),
    Kind("MON-1", "trail not logging", _stopped_trails, regional=False),
    Kind("MON-3", "GuardDuty filter that auto-archives", _archiving_filters),
)


def enabled_regions(clients: Clients, home: str) -> list[str]:
    """The account's enabled regions (opted in, or not needing it)."""
    regions = clients("ec2", home).describe_regions(AllRegions=False).get("Regions", [])
    names = sorted(
        str(r["RegionName"])
        for r in regions
        if r.get("OptInStatus", "opt-in-not-required") != "not-opted-in"
    )
    return names or [home]


def discover(
    clients: Clients,
    *,
    account: str,
    home: str,
    regions: Iterable[str],
    declared: Declared,
    room: bool,
    stack: str,
    map_regions: Callable[[Callable[[str], Any], list[str]], list[Any]],
) -> list[Finding]:
    """Every kind in every region: ok, one drift per undeclared item, unverifiable regions."""
    regions = list(regions)
    findings: list[Finding] = []
    for kind in KINDS:
        if kind.room_only and not room:
            continue
        where = regions if kind.regional else [home]

        def scan(region: str, kind: Kind = kind) -> tuple[str, list[Item] | str]:
            try:
                return region, kind.scan(clients, region, account, declared)
            except (ClientError, BotoCoreError) as exc:
                raise_if_fatal(exc)
                return region, describe_failure(exc)
            except (KeyError, TypeError, ValueError) as exc:
                return region, describe_failure(exc)

        results = map_regions(scan, where)
        items = [i for _, found in results if isinstance(found, list) for i in found]
        failed = {r: found for r, found in results if isinstance(found, str)}
        read = len(where) - len(failed)
        label = f"no undeclared {kind.label}"
        scope = f"{len(where)} region(s)" if kind.regional else "the account"

        def add(
            physical: str,
            rtype: str,
            region: str,
            actual: str,
            status: Status,
            kind: Kind = kind,
            label: str = label,
            scope: str = scope,
        ) -> None:
            findings.append(
                Finding(
                    stack,
                    kind.control,
                    f"{region}/{physical}"
                    if physical
                    else ("account" if status == "ok" else "account (regions not read)"),
                    physical,
                    rtype,
                    label,
                    f"none in {scope}",
                    actual,
                    status,
                    account,
                    region,
                )
            )

        for item in items:
            add(item.physical_id, item.resource_type, item.region, item.description, "drift")
        if failed:
            reasons: dict[str, list[str]] = {}
            for region, reason in failed.items():
                reasons.setdefault(reason, []).append(region)
            actual = "; ".join(
                f"{reason} in {', '.join(sorted(rs))}" for reason, rs in sorted(reasons.items())
            )
            add("", "account", home, f"not read: {actual}", "unverifiable")
        if not items and read:
            add("", "account", home, f"none in {read} region(s) read", "ok")
    return findings
