"""Policy documents compared by meaning, not by spelling."""

from __future__ import annotations

import ast
import json
import re
import threading
import urllib.parse
from collections.abc import Mapping
from typing import Any

_PARSER_LOCK = threading.Lock()


def parse_policy(document: Any) -> dict[str, Any]:
    """A policy document as a dict, from a dict, JSON, URL-encoded JSON or a Python repr.

    IAM returns URL-encoded JSON (boto3 usually decodes it); some endpoints (moto's VPC
    endpoints) return the ``repr`` of a Python dict, which JSON cannot read.
    """
    if isinstance(document, dict):
        return document
    if not isinstance(document, str):
        raise ValueError(f"not a policy document: {document!r}")
    text = document.strip()
    if text[:3].upper() == "%7B":
        text = urllib.parse.unquote(text)
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        try:
            # CPython 3.11's parser is not safe to enter from several threads at once
            # ("AST constructor recursion depth mismatch"); checkers run in threads.
            with _PARSER_LOCK:
                parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError) as exc:
            raise ValueError(f"not a policy document: {text[:80]}") from exc
    if not isinstance(parsed, dict):
        raise ValueError(f"not a policy document: {text[:80]}")
    return parsed


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _scalar(value: Any) -> str:
    # Policies hold condition values as strings; templates may hold booleans and numbers.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _principal_id(kind: str, identifier: str) -> str:
    # IAM stores an account id principal as the account's root ARN.
    if kind == "AWS" and re.fullmatch(r"\d{12}", identifier):
        return f"arn:aws:iam::{identifier}:root"
    return identifier


def _canonical_principal(value: Any) -> Any:
    if value == "*":
        return "*"
    if isinstance(value, dict):
        out = {
            str(kind): sorted({_principal_id(str(kind), str(i)) for i in as_list(ids)})
            for kind, ids in value.items()
        }
        # {"AWS": "*"} and "*" mean the same (IAM's documentation says so).
        return "*" if out == {"AWS": ["*"]} else out
    return value


def _canonical_statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in statement.items():
        if key in ("Action", "NotAction"):
            # Action names are case-insensitive.
            out[key] = sorted({str(v).lower() for v in as_list(value)})
        elif key in ("Resource", "NotResource"):
            out[key] = sorted({str(v) for v in as_list(value)})
        elif key in ("Principal", "NotPrincipal"):
            out[key] = _canonical_principal(value)
        elif key == "Condition" and isinstance(value, dict):
            out[key] = {
                str(operator): {
                    str(k): sorted({_scalar(v) for v in as_list(values)})
                    for k, values in block.items()
                }
                for operator, block in value.items()
            }
        elif key == "Sid":
            if value:
                out[key] = str(value)
        else:
            out[key] = value
    return out


def canonical_policy(document: Any) -> dict[str, Any]:
    """The policy in a form where equal meaning is equal value.

    Statements are order-insensitive, a single string equals a one-element list, actions are
    compared case-insensitively, ``{"AWS": "*"}`` equals ``"*"``, an account id principal equals
    its root ARN and condition values are compared as strings.
    """
    parsed = parse_policy(document)
    statements = parsed.get("Statement", [])
    canonical = [_canonical_statement(s) for s in as_list(statements) if isinstance(s, dict)]
    canonical.sort(key=lambda s: json.dumps(s, sort_keys=True))
    return {"Version": parsed.get("Version"), "Statement": canonical}


def policy_difference(expected: Any, actual: Any) -> str | None:
    """``None`` when the two policies mean the same; else what the actual one adds and lacks."""
    want, have = canonical_policy(expected), canonical_policy(actual)
    if want == have:
        return None
    parts: list[str] = []
    extra = [s for s in have["Statement"] if s not in want["Statement"]]
    lacking = [s for s in want["Statement"] if s not in have["Statement"]]
    if extra:
        parts.append(f"extra statement(s): {json.dumps(extra, sort_keys=True)}")
    if lacking:
        parts.append(f"lacking statement(s): {json.dumps(lacking, sort_keys=True)}")
    if want["Version"] != have["Version"]:
        parts.append(f"Version {have['Version']} instead of {want['Version']}")
    return "; ".join(parts) or "the same statements, repeated a different number of times"


def policy_summary(document: Any) -> str:
    statements = as_list(parse_policy(document).get("Statement", []))
    return f"the template's policy ({len(statements)} statement(s))"
