"""Predicates that judge a control's *effect* on template JSON, shared by the gate and the review.

jsii-free. The gate's rules (``dataroom/policies/rules``) and the review's detectors
(``dataroom/review/threats.py``) call the same function for the same question, so they cannot
disagree on it (``tests/agreement`` checks that they do not).
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Any

from dataroom.controls.identity import BOUNDARY_DENY_FAMILIES

__all__ = [
    "boundary_escapes",
    "dns_catch_all_reached",
    "foreign_principals",
    "is_wildcard_resource",
    "principal_text",
]

_ACCOUNT_IN_ARN = re.compile(r"^arn:[^:]*:(?:iam|sts)::(\d{12}|\*)?:")
_BARE_ACCOUNT = re.compile(r"^\d{12}$")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _action_matches(pattern: str, action: str) -> bool:
    return fnmatchcase(action.lower(), str(pattern).lower())


def is_wildcard_resource(resource: Any) -> bool:
    """Whether a statement's resource reaches beyond named resources (``*`` or ``arn:...:*``)."""
    if isinstance(resource, dict) and ("Fn::Join" in resource or "Fn::Sub" in resource):
        resource = principal_text(resource)
    if not isinstance(resource, str):
        return False  # a Ref/GetAtt of a resource in the template: a named resource
    return resource == "*" or resource.endswith((":*", ":*/*"))


def _matches(statement: dict[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(_action_matches(p, action) for p in _as_list(statement["NotAction"]))
    return any(_action_matches(p, action) for p in _as_list(statement.get("Action")))


def boundary_escapes(statements: list[dict[str, Any]]) -> dict[str, list[str]]:
    """IAM-5: the required deny families a boundary lets through, with the actions that prove it.

    An action gets through when an Allow matches it on every resource (``*``) and no
    unconditional Deny matches it. A boundary that allows an action only on named resources (the
    remediation function's, CDK's default-security-group provider's) is a narrow ceiling, not
    an escape.
    """
    out: dict[str, list[str]] = {}
    for family, actions in BOUNDARY_DENY_FAMILIES.items():
        for action in actions:
            denied = any(
                s.get("Effect") == "Deny" and not s.get("Condition") and _matches(s, action)
                for s in statements
            )
            allowed = any(
                s.get("Effect") == "Allow"
                and _matches(s, action)
                and (
                    "NotResource" in s
                    or any(is_wildcard_resource(r) for r in _as_list(s.get("Resource")))
                )
                for s in statements
            )
            if allowed and not denied:
                out.setdefault(family, []).append(action)
    return out


def principal_text(value: Any) -> str:
    """Literal text of a principal value: Fn::Join / Fn::Sub joined, references as markers."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if "Fn::Join" in value:
            sep, parts = [*value["Fn::Join"], "", []][:2]
            return str(sep).join(principal_text(p) for p in _as_list(parts))
        if "Fn::Sub" in value:
            body = value["Fn::Sub"]
            return principal_text(body[0] if isinstance(body, list) else body)
        if "Ref" in value:
            return "${AWS::AccountId}" if value["Ref"] == "AWS::AccountId" else "<ref>"
    return "<ref>"


def foreign_principals(principal: Any, own_account: str) -> list[str]:
    """IAM-1: the AWS principals of a trust statement that are not of ``own_account``.

    Recognised in every form a template can spell one: an ARN, a bare account id, ``*``, a list
    under ``{"AWS": ...}``, and ``Fn::Join`` / ``Fn::Sub`` forms (``${AWS::AccountId}`` and
    ``Ref AWS::AccountId`` are the stack's own account).
    """
    if principal == "*":
        return ["*"]
    if not isinstance(principal, dict):
        return []
    out = []
    for value in _as_list(principal.get("AWS")):
        text = principal_text(value)
        if text == "*":
            out.append("*")
            continue
        account = None
        if _BARE_ACCOUNT.match(text):
            account = text
        else:
            match = _ACCOUNT_IN_ARN.match(text)
            if match:
                account = match.group(1) or "*"
            elif "${AWS::AccountId}" in text:
                account = own_account
        if account is not None and account != own_account:
            out.append(text)
    return out


def dns_catch_all_reached(rules: list[dict[str, Any]]) -> bool:
    """NET-6: whether a BLOCK of ``*`` is reached, i.e. no earlier rule ALLOWs ``*``.

    ``rules`` are ``{"priority", "action", "domains"}``; Route 53 Resolver DNS Firewall applies
    the lowest priority first, and the first match wins.
    """
    for rule in sorted(rules, key=lambda r: int(r.get("priority") or 0)):
        if "*" not in rule.get("domains", []):
            continue
        return rule.get("action") == "BLOCK"
    return False
