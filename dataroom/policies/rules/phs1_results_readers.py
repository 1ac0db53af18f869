"""PHS-1: a room's results are readable only by the readers its phase names, through their points.

Judged on the room's template: every S3 access point must be one the manifest's ``results``
section asked for (template metadata ``dataroom.results``), admit only its named reader, and in
``production-a`` none may serve the data access layer; every bucket-policy Allow for a principal
outside the room account on the results bucket (``dataroom.results_bucket``) must be a named
reader's, bound to its access point.
"""

from __future__ import annotations

import json
from typing import Any

from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.template_policy import as_list, refers_to, statements


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _principals(statement: dict[str, Any]) -> list[Any]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, dict):
        return as_list(principal.get("AWS"))
    return []


def _named(ctx: RuleContext) -> tuple[dict[str, Any], set[str]]:
    results = ctx.metadata.get("results") or {}
    points = dict(results.get("access_points") or {})
    readers = {_key(p) for point in points.values() for p in point.get("principals", [])}
    return points, readers


def _check_access_point(ctx: RuleContext) -> list[str]:
    points, _ = _named(ctx)
    results = ctx.metadata.get("results") or {}
    name = ctx.properties.get("Name")
    point = points.get(str(name)) if isinstance(name, str) else None
    if point is None:
        return [
            f"access point {name!r} is not one the manifest's results section asks for "
            f"(phase {ctx.metadata.get('phase', '?')}): results leave a room only through the "
            "readers its phase names"
        ]
    findings = []
    if point.get("kind") == "dal" and results.get("phase") != "production-b":
        findings.append(f"access point {name!r} serves the data access layer in phase A")
    allowed = {_key(p) for p in point.get("principals", [])}
    for statement in statements(ctx.properties.get("Policy")):
        if statement.get("Effect") != "Allow":
            continue
        for principal in _principals(statement):
            if _key(principal) not in allowed:
                findings.append(
                    f"access point {name!r} admits {principal!r}, which the manifest does not "
                    "name as its reader"
                )
    return findings


def _is_room_account(principal: Any, account: str) -> bool:
    text = principal if isinstance(principal, str) else _key(principal)
    return f":{account}:" in text or text == account or "AWS::AccountId" in text


def _check_bucket_policy(ctx: RuleContext) -> list[str] | None:
    results_bucket = ctx.metadata.get("results_bucket")
    if not results_bucket or not refers_to(ctx.properties.get("Bucket"), str(results_bucket)):
        return None  # other buckets have controls of their own (S3-3/S3-4, EXP-1)
    _, readers = _named(ctx)
    findings = []
    for statement in statements(ctx.properties.get("PolicyDocument")):
        if statement.get("Effect") != "Allow":
            continue
        condition = statement.get("Condition", {})
        bound = any(
            "s3:DataAccessPointArn" in keys for keys in condition.values() if isinstance(keys, dict)
        )
        for principal in _principals(statement):
            if _is_room_account(principal, ctx.account):
                continue
            if _key(principal) not in readers:
                findings.append(
                    f"bucket policy statement {statement.get('Sid')!r} admits {principal!r}, "
                    "which is not a reader the manifest names"
                )
            elif not bound:
                findings.append(
                    f"bucket policy statement {statement.get('Sid')!r} admits {principal!r} "
                    "directly: named readers read only through their access point"
                )
    return findings


def check(ctx: RuleContext) -> Verdict:
    if ctx.resource.get("Type") == "AWS::S3::AccessPoint":
        return _check_access_point(ctx)
    return _check_bucket_policy(ctx)


RULE = Rule(
    rule_id="PHS1ResultsReaders",
    control="PHS-1",
    info="A room's results are readable by a principal or through an access point that its "
    "phase does not name.",
    explanation="Phase A results reach named internal consumers only, each through its own "
    "access point; a data access layer (end users) reads only in phase B. Anything else is a "
    "disclosure path the manifest never approved.",
    resource_types=frozenset({"AWS::S3::AccessPoint", "AWS::S3::BucketPolicy"}),
    check=check,
    never_suppressible=True,
    rooms_only=True,
)
