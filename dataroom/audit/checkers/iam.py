"""IAM roles (IAM-1 trust, IAM-2 inline grants, IAM-3 nothing attached beside them, IAM-5
boundary) and managed policies (IAM-5 when a boundary, else IAM-2)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from dataroom.audit.context import StackAudit, equal, paginate
from dataroom.audit.errors import UnresolvableError, UnverifiableError, error_code
from dataroom.audit.findings import Status
from dataroom.audit.policy import policy_summary
from dataroom.audit.registry import Checker
from dataroom.audit.resolver import DeployedResource


def _attached_to_role(
    audit: StackAudit, kind: str, role_name: str
) -> list[tuple[str, dict[str, Any]]]:
    """Template policies of ``kind`` whose ``Roles`` name this role."""
    attached = []
    for logical_id, resource in audit.resources.items():
        if resource.get("Type") != kind:
            continue
        props = resource.get("Properties", {})
        try:
            roles = audit.resolver.resolve(props.get("Roles", []))
        except UnresolvableError:
            continue
        if role_name in roles:
            attached.append((logical_id, props))
    return attached


def check_role(
    audit: StackAudit, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
) -> None:
    if deployed is None:  # only checkers that find unlisted resources get none
        return
    kind, role_name = "AWS::IAM::Role", deployed.physical_id
    target = (logical_id, role_name, kind)
    iam = audit.clients("iam")
    role = audit.fetch(
        "IAM-1",
        target,
        lambda: iam.get_role(RoleName=role_name)["Role"],
        lambda e: error_code(e) == "NoSuchEntity",
        what=f"role {role_name}",
    )
    if role is None:
        return
    audit.run(
        "IAM-1",
        target,
        "trust policy",
        lambda: audit.policy(props["AssumeRolePolicyDocument"], role["AssumeRolePolicyDocument"]),
    )
    if "MaxSessionDuration" in props:
        audit.run(
            "IAM-1",
            target,
            "max session duration",
            lambda: equal(
                f"{int(props['MaxSessionDuration'])} s",
                f"{role.get('MaxSessionDuration')} s",
            ),
        )

    # Inline policies: the role's own ``Policies`` and AWS::IAM::Policy resources naming it.
    inline: dict[str, Any] = {}
    inline_errors: list[str] = []
    for policy in props.get("Policies", []):
        inline[str(policy["PolicyName"])] = policy["PolicyDocument"]
    for _, policy_props in _attached_to_role(audit, "AWS::IAM::Policy", role_name):
        try:
            inline[audit.resolver.resolve_str(policy_props["PolicyName"])] = policy_props[
                "PolicyDocument"
            ]
        except UnresolvableError as exc:
            inline_errors.append(str(exc))

    for name, document in inline.items():

        def compare(name: str = name, document: Any = document) -> tuple[str, str, Status]:
            try:
                have = iam.get_role_policy(RoleName=role_name, PolicyName=name)
            except ClientError as exc:
                if error_code(exc) != "NoSuchEntity":
                    raise
                return policy_summary(audit.resolver.resolve(document)), "absent", "missing"
            return audit.policy(document, have["PolicyDocument"])

        audit.run("IAM-2", target, f"inline policy {name}", compare)

    def extra_inline() -> tuple[str, str, Status]:
        if inline_errors:
            raise UnverifiableError("; ".join(inline_errors))
        names = paginate(iam, "list_role_policies", "PolicyNames", RoleName=role_name)
        extra = sorted(set(map(str, names)) - set(inline))
        expected = ", ".join(sorted(inline)) or "none"
        if extra:
            return expected, "extra: " + ", ".join(extra), "drift"
        return expected, "none extra", "ok"

    audit.run("IAM-3", target, "no other inline policy", extra_inline)

    def managed() -> tuple[str, str, Status]:
        want = {audit.resolver.resolve_str(a) for a in props.get("ManagedPolicyArns", [])}
        for policy_logical_id, _ in _attached_to_role(audit, "AWS::IAM::ManagedPolicy", role_name):
            want.add(audit.resolver.resolve_str({"Ref": policy_logical_id}))
        attached = paginate(
            iam, "list_attached_role_policies", "AttachedPolicies", RoleName=role_name
        )
        have = {str(p["PolicyArn"]) for p in attached}
        expected = ", ".join(sorted(want)) or "none"
        if have == want:
            return expected, "the same", "ok"
        parts = []
        if have - want:
            parts.append("extra: " + ", ".join(sorted(have - want)))
        if want - have:
            parts.append("lacking: " + ", ".join(sorted(want - have)))
        return expected, "; ".join(parts), "drift"

    audit.run("IAM-3", target, "attached managed policies", managed)

    def boundary() -> tuple[str, str, Status]:
        want = (
            audit.resolver.resolve_str(props["PermissionsBoundary"])
            if "PermissionsBoundary" in props
            else "none"
        )
        have = str(role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn") or "none")
        return equal(want, have)

    audit.run("IAM-5", target, "permissions boundary", boundary)


def check_managed_policy(
    audit: StackAudit, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
) -> None:
    if deployed is None:  # only checkers that find unlisted resources get none
        return
    kind, arn = "AWS::IAM::ManagedPolicy", deployed.physical_id
    target = (logical_id, arn, kind)
    boundary = any(
        r.get("Properties", {}).get("PermissionsBoundary") == {"Ref": logical_id}
        for r in audit.resources.values()
        if r.get("Type") == "AWS::IAM::Role"
    )
    control = "IAM-5" if boundary else "IAM-2"
    iam = audit.clients("iam")
    policy = audit.fetch(
        control,
        target,
        lambda: iam.get_policy(PolicyArn=arn)["Policy"],
        lambda e: error_code(e) == "NoSuchEntity",
        what=f"managed policy {arn}",
    )
    if policy is None:
        return

    def document() -> tuple[str, str, Status]:
        version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
        return audit.policy(props["PolicyDocument"], version["PolicyVersion"]["Document"])

    audit.run(control, target, "policy document", document)


CHECKERS = (
    Checker("AWS::IAM::Role", "IAM-1", check_role),
    Checker("AWS::IAM::ManagedPolicy", "IAM-2", check_managed_policy),
)
