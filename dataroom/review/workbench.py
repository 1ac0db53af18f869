"""The workbench as the review shows it, and its WBN detectors, read from the room template.

Facts describe (who can open each notebook, from where, what it reaches, which packages); the
detectors decide whether WBN-1..4 are present. A room without notebooks has no workbench: its
WBN controls are not applicable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dataroom.review.assembly import StackTemplate, as_list, refers_to, statements

if TYPE_CHECKING:
    from dataroom.review.results import ControlResult, RoomContext

__all__ = ["WORKBENCH_TITLES", "wbn1", "wbn2", "wbn3", "wbn4", "workbench_facts"]

WORKBENCH_TITLES: dict[str, str] = {
    "WBN-1": "notebooks: no internet, no root, room key, room subnets, allow-listed types",
    "WBN-2": "packages only from the room's allow-listed mirror, through its endpoints",
    "WBN-3": "idle notebooks stop themselves; every stop is alerted",
    "WBN-4": "a notebook URL only through the room's endpoint or the manifest's ranges",
}
PRESIGNED_URL = "sagemaker:CreatePresignedNotebookInstanceUrl"
STATE_CHANGE = "SageMaker Notebook Instance State Change"
NEEDED_ENDPOINTS = (
    "sagemaker.api",
    "sagemaker.runtime",
    "notebook",
    "codeartifact.api",
    "codeartifact.repositories",
    "sts",
    "logs",
)


def _condition(statement: dict[str, Any], key: str) -> list[str]:
    out: list[str] = []
    condition = statement.get("Condition") or {}
    for block in condition.values() if isinstance(condition, dict) else ():
        for name, value in block.items() if isinstance(block, dict) else ():
            if name.lower() == key.lower():
                out.extend(str(v) for v in as_list(value))
    return out


def _policies(stack: StackTemplate) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for lid, resource in stack.resources("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
        for statement in statements(resource.get("Properties", {}).get("PolicyDocument")):
            out.append((lid, statement))
    return out


def _endpoint_services(stack: StackTemplate) -> dict[str, str]:
    """logical id -> short service name of every interface endpoint with private DNS."""
    out = {}
    for lid, resource in stack.resources("AWS::EC2::VPCEndpoint"):
        props = resource.get("Properties", {})
        if props.get("VpcEndpointType") != "Interface" or not props.get("PrivateDnsEnabled"):
            continue
        parts = stack.text(props.get("ServiceName")).split(".")
        short = "notebook" if parts[:2] == ["aws", "sagemaker"] else ".".join(parts[3:])
        out[lid] = short
    return out


def workbench_facts(stack: StackTemplate) -> dict[str, Any] | None:
    """What the room's workbench is, or None when the template has no notebook instance."""
    notebooks = list(stack.resources("AWS::SageMaker::NotebookInstance"))
    if not notebooks:
        return None
    policies = _policies(stack)
    endpoints = _endpoint_services(stack)
    rows = []
    for lid, resource in notebooks:
        props = resource.get("Properties", {})
        name = str(props.get("NotebookInstanceName") or lid)
        openers = [
            ", ".join(_condition(s, "aws:SourceIdentity")) or "any session of the role"
            for _, s in policies
            if s.get("Effect") == "Allow"
            and PRESIGNED_URL in as_list(s.get("Action"))
            and any(name in stack.text(r) for r in as_list(s.get("Resource")))
        ]
        imds = props.get("InstanceMetadataServiceConfiguration") or {}
        rows.append(
            {
                "logical_id": lid,
                "name": name,
                "instance_type": props.get("InstanceType"),
                "volume_gb": props.get("VolumeSizeInGB"),
                "direct_internet_access": props.get("DirectInternetAccess", "Enabled"),
                "root_access": props.get("RootAccess", "Enabled"),
                "kms_key": stack.text(props.get("KmsKeyId")) if props.get("KmsKeyId") else None,
                "subnet": stack.text(props.get("SubnetId")) if props.get("SubnetId") else None,
                "imds_min_version": str(imds.get("MinimumInstanceMetadataServiceVersion", "1")),
                "role": stack.text(props.get("RoleArn")),
                "lifecycle": stack.text(props.get("LifecycleConfigName"))
                if props.get("LifecycleConfigName")
                else None,
                "opened_by": sorted(set(openers)),
            }
        )
    url_paths = []
    for lid, statement in policies:
        if statement.get("Effect") != "Deny" or PRESIGNED_URL not in as_list(
            statement.get("Action")
        ):
            continue
        vpces = [
            endpoints.get(v.strip("<>").split(".")[0], v)
            for v in _condition_texts(stack, statement, "aws:SourceVpce")
        ]
        url_paths.append(
            {
                "policy": lid,
                "sid": statement.get("Sid"),
                "endpoints": vpces,
                "source_ips": _condition(statement, "aws:SourceIp"),
            }
        )
    groups = []
    for _, resource in stack.resources("AWS::CodeArtifact::PackageGroup"):
        props = resource.get("Properties", {})
        restrictions = (props.get("OriginConfiguration") or {}).get("Restrictions") or {}
        groups.append(
            {
                "pattern": props.get("Pattern"),
                "external_upstream": (restrictions.get("ExternalUpstream") or {}).get(
                    "RestrictionMode", "INHERIT"
                ),
            }
        )
    allowed = sorted(
        str(g["pattern"]).removeprefix("/pypi//").removesuffix("$")
        for g in groups
        if g["external_upstream"] == "ALLOW" and str(g["pattern"]).startswith("/pypi//")
    )
    repositories = [
        {
            "logical_id": lid,
            "name": r.get("Properties", {}).get("RepositoryName"),
            "upstreams": as_list(r.get("Properties", {}).get("ExternalConnections")),
            "policy": _policy_summary(r.get("Properties", {}).get("PermissionsPolicyDocument")),
        }
        for lid, r in stack.resources("AWS::CodeArtifact::Repository")
    ]
    groups_of_notebooks = {g for _, nb in notebooks for g in _group_ids(nb)}
    egress = [
        rule
        for group in sorted(groups_of_notebooks)
        for rule in as_list(stack.properties(group).get("SecurityGroupEgress"))
    ]
    egress += [
        resource.get("Properties", {})
        for _, resource in stack.resources("AWS::EC2::SecurityGroupEgress")
        if any(
            refers_to(resource.get("Properties", {}).get("GroupId"), g) for g in groups_of_notebooks
        )
    ]
    reaches = sorted({_egress_text(stack, rule) for rule in egress})
    stop_rules = [
        lid
        for lid, r in stack.resources("AWS::Events::Rule")
        if STATE_CHANGE
        in as_list((r.get("Properties", {}).get("EventPattern") or {}).get("detail-type"))
        and "Stopped"
        in as_list(
            ((r.get("Properties", {}).get("EventPattern") or {}).get("detail") or {}).get(
                "NotebookInstanceStatus"
            )
        )
    ]
    return {
        "notebooks": rows,
        "url_paths": url_paths,
        "reaches": reaches,
        "endpoints": sorted(set(endpoints.values())),
        "package_groups": groups,
        "allowed_packages": allowed,
        "repositories": repositories,
        "stop_alert_rules": stop_rules,
        "lifecycle_configs": [
            lid for lid, _ in stack.resources("AWS::SageMaker::NotebookInstanceLifecycleConfig")
        ],
    }


def _condition_texts(stack: StackTemplate, statement: dict[str, Any], key: str) -> list[str]:
    out: list[str] = []
    condition = statement.get("Condition") or {}
    for block in condition.values() if isinstance(condition, dict) else ():
        for name, value in block.items() if isinstance(block, dict) else ():
            if name.lower() == key.lower():
                out.extend(stack.text(v) for v in as_list(value))
    return out


def _group_ids(resource: dict[str, Any]) -> list[str]:
    out = []
    for value in as_list(resource.get("Properties", {}).get("SecurityGroupIds")):
        if isinstance(value, dict):
            get_att = value.get("Fn::GetAtt")
            if isinstance(get_att, list) and get_att:
                out.append(str(get_att[0]))
            elif "Ref" in value:
                out.append(str(value["Ref"]))
    return out


def _egress_text(stack: StackTemplate, rule: dict[str, Any]) -> str:
    target = (
        rule.get("DestinationSecurityGroupId")
        or rule.get("DestinationPrefixListId")
        or rule.get("CidrIp")
    )
    return (
        f"{rule.get('IpProtocol')} {rule.get('FromPort')}-{rule.get('ToPort')} "
        f"to {stack.text(target)}"
    )


def _policy_summary(document: Any) -> list[str]:
    out = []
    for s in statements(document):
        keys = sorted(
            {
                k
                for block in (s.get("Condition") or {}).values()
                if isinstance(block, dict)
                for k in block
            }
        )
        out.append(f"{s.get('Sid') or '-'}: {s.get('Effect')} if {', '.join(keys) or 'always'}")
    return out


# --- detectors -----------------------------------------------------------------------------------


def _boundary_statements(ctx: RoomContext) -> list[dict[str, Any]]:
    out = []
    for _, resource in ctx.stack.resources("AWS::IAM::ManagedPolicy"):
        props = resource.get("Properties", {})
        if "boundary" in str(props.get("Description", "")).lower() and "remediation" not in str(
            props.get("Description", "")
        ):
            out.extend(statements(props.get("PolicyDocument")))
    return out


def _boundary_denies(ctx: RoomContext, action: str, key: str) -> bool:
    return any(
        s.get("Effect") == "Deny"
        and action in as_list(s.get("Action"))
        and _condition(s, key) != []
        for s in _boundary_statements(ctx)
    )


def _policy_denies(ctx: RoomContext, action: str, key: str) -> bool:
    """Whether an identity policy of the room denies ``action`` on a condition on ``key``."""
    return any(
        s.get("Effect") == "Deny" and action in as_list(s.get("Action")) and _condition(s, key)
        for _, s in _policies(ctx.stack)
    )


def _workbench(ctx: RoomContext) -> dict[str, Any] | None:
    return workbench_facts(ctx.stack)


def wbn1(ctx: RoomContext, r: ControlResult) -> None:
    facts = _workbench(ctx)
    if facts is None:
        r.note = "the room has no workbench"
        return
    for nb in facts["notebooks"]:
        name = nb["name"]
        r.check(
            "internet",
            nb["direct_internet_access"] == "Disabled",
            f"{name}: direct internet {nb['direct_internet_access']}",
        )
        r.check("root", nb["root_access"] == "Disabled", f"{name}: root access {nb['root_access']}")
        r.check("key", bool(nb["kms_key"]), f"{name}: volume key {nb['kms_key'] or 'none'}")
        r.check("subnet", bool(nb["subnet"]), f"{name}: subnet {nb['subnet'] or 'none'}")
        r.check(
            "imds", nb["imds_min_version"] == "2", f"{name}: IMDS minimum v{nb['imds_min_version']}"
        )
    create = "sagemaker:CreateNotebookInstance"
    r.check(
        "boundary",
        _boundary_denies(ctx, create, "aws:PrincipalArn"),
        "the room boundary lets only the workbench role create notebooks",
    )
    for key in (
        "sagemaker:DirectInternetAccess",
        "sagemaker:RootAccess",
        "sagemaker:VolumeKmsKeyArn",
        "sagemaker:VpcSubnets",
        "sagemaker:InstanceTypes",
    ):
        r.check(
            "guardrails",
            _policy_denies(ctx, create, key),
            f"the workbench role's guardrails deny CreateNotebookInstance on {key}",
        )


def wbn2(ctx: RoomContext, r: ControlResult) -> None:
    facts = _workbench(ctx)
    if facts is None:
        r.note = "the room has no workbench"
        return
    blocked = any(
        g["pattern"] in ("/*", "/pypi/*") and g["external_upstream"] == "BLOCK"
        for g in facts["package_groups"]
    )
    r.check("upstream", blocked, "package groups block the public upstream by default")
    for repo in facts["repositories"]:
        summary = " ".join(repo["policy"])
        r.check(
            "policy",
            "aws:PrincipalArn" in summary and "aws:SourceVpce" in summary,
            f"repository {repo['name']}: only the room's roles, only through its endpoints",
        )
    r.check("repository", bool(facts["repositories"]), "a CodeArtifact repository in the room")
    r.note = f"allowed packages: {', '.join(facts['allowed_packages']) or 'none'}"


def wbn3(ctx: RoomContext, r: ControlResult) -> None:
    facts = _workbench(ctx)
    if facts is None:
        r.note = "the room has no workbench"
        return
    r.check(
        "lifecycle",
        all(nb["lifecycle"] for nb in facts["notebooks"]),
        "every notebook runs the room's lifecycle configuration (idle stop)",
    )
    r.check("alert", bool(facts["stop_alert_rules"]), "an alert rule for notebooks that stopped")


def wbn4(ctx: RoomContext, r: ControlResult) -> None:
    facts = _workbench(ctx)
    if facts is None:
        r.note = "the room has no workbench"
        return
    missing = [e for e in NEEDED_ENDPOINTS if e not in facts["endpoints"]]
    r.check("endpoints", not missing, f"interface endpoints missing: {missing or 'none'}")
    r.check(
        "url",
        any(p["endpoints"] for p in facts["url_paths"]),
        "notebook URLs denied unless through the room's SageMaker API endpoint",
    )
    r.check(
        "boundary",
        _boundary_denies(ctx, PRESIGNED_URL, "aws:SourceVpce"),
        "the room boundary confines notebook URLs to the room's path",
    )


def render_workbench(facts: dict[str, Any] | None) -> list[str]:
    """The report's workbench section (Markdown lines); nothing for a room without one."""
    if not facts:
        return []
    lines = ["### Workbench (room template)", ""]
    rows = [
        [
            nb["name"],
            ", ".join(nb["opened_by"]) or "**nobody named**",
            nb["instance_type"],
            f"internet {nb['direct_internet_access']}, root {nb['root_access']}, "
            f"IMDS v{nb['imds_min_version']}+",
            nb["kms_key"] or "**none**",
            nb["subnet"] or "**none**",
        ]
        for nb in facts["notebooks"]
    ]
    lines += [
        "| notebook | opened by (source identity) | type | settings | volume key | subnet |",
        "|---|---|---|---|---|---|",
        *("| " + " | ".join(str(c) for c in row) + " |" for row in rows),
        "",
    ]
    for path in facts["url_paths"]:
        where = ", ".join(path["endpoints"]) or "no endpoint"
        ips = ", ".join(path["source_ips"])
        lines.append(
            f"- Notebook URLs ({path['sid']}): only through {where}"
            + (f" or from {ips}" if ips else "")
        )
    lines.append("- Reaches: " + ("; ".join(facts["reaches"]) or "**nothing declared**"))
    lines.append("- Endpoints: " + ", ".join(facts["endpoints"]))
    lines.append(
        "- Packages (PyPI through the room's mirror): "
        + (", ".join(facts["allowed_packages"]) or "none")
    )
    for repo in facts["repositories"]:
        lines.append(
            f"- Repository {repo['name']} (upstreams {', '.join(repo['upstreams']) or 'none'}): "
            + "; ".join(repo["policy"])
        )
    lines.append(
        "- Idle stop: lifecycle "
        + (", ".join(facts["lifecycle_configs"]) or "**none**")
        + "; stop alert rule "
        + (", ".join(facts["stop_alert_rules"]) or "**none**")
    )
    return [*lines, ""]
