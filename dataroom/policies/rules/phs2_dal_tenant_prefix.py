"""PHS-2: the data access layer's access point serves each caller its own tenant's prefix only."""

from __future__ import annotations

from typing import Any

from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.spec.results import tenant_prefix
from dataroom.template_policy import as_list, statements


def _text(value: Any) -> str:
    """A resource ARN as text, joining ``Fn::Join`` parts (tokens become their JSON)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_text(p) for p in parts)
    return ""


def check(ctx: RuleContext) -> Verdict:
    results = ctx.metadata.get("results") or {}
    name = ctx.properties.get("Name")
    point = (results.get("access_points") or {}).get(str(name))
    if not point or point.get("kind") != "dal":
        return None
    dal = results.get("dal") or {}
    tag = str(dal.get("tenant_tag") or "tenant")
    tenants = list(dal.get("tenants") or [])
    tenant = tenants[0] if len(tenants) == 1 else f"${{aws:PrincipalTag/{tag}}}"
    prefix = tenant_prefix(tenant)
    findings = []
    denies_untagged = False
    for statement in statements(ctx.properties.get("Policy")):
        actions = [str(a) for a in as_list(statement.get("Action"))]
        if statement.get("Effect") == "Deny":
            null = (statement.get("Condition") or {}).get("Null") or {}
            if str(null.get(f"aws:PrincipalTag/{tag}")).lower() == "true":
                denies_untagged = True
            continue
        for resource in as_list(statement.get("Resource")):
            text = _text(resource)
            if "/object/" in text and f"/object/{prefix}" not in text:
                findings.append(
                    f"statement {statement.get('Sid')!r} allows objects outside the caller's "
                    f"tenant prefix {prefix!r}: {text.split('/object/', 1)[1]!r}"
                )
        if any(a in ("s3:ListBucket", "s3:*") for a in actions):
            likes = (statement.get("Condition") or {}).get("StringLike") or {}
            wanted = as_list(likes.get("s3:prefix"))
            if not wanted or any(not str(w).startswith(prefix) for w in wanted):
                findings.append(
                    f"statement {statement.get('Sid')!r} lets the caller list outside {prefix!r}"
                )
    if not denies_untagged:
        findings.append(f"callers without the {tag!r} tag are not refused")
    return findings


RULE = Rule(
    rule_id="PHS2DalTenantPrefix",
    control="PHS-2",
    info="The data access layer's access point does not confine each caller to its own tenant.",
    explanation="End users read phase-B results only through the DAL, per tenant: the access "
    "point's objects and listings must be under tenant=${aws:PrincipalTag/<tag>}/ and callers "
    "without the tag refused, or one tenant reads another's results.",
    resource_types=frozenset({"AWS::S3::AccessPoint"}),
    check=check,
    never_suppressible=True,
    rooms_only=True,
)
