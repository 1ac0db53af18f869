"""S3-4/PER-1: no bucket policy in a room's account grants another account.

An Allow statement of an ``AWS::S3::BucketPolicy`` may name principals of the stack's own
account, AWS services (``PER1ServiceSourceBound`` judges those), and the readers the manifest
declares (an export consumer, EXP-1, or a results reader, PHS-1; template metadata
``dataroom.readers``). Any other account, an ARN of another account, or any principal (``*``)
is refused, unless a condition pins the caller (``aws:PrincipalAccount``, ``aws:PrincipalArn``,
``aws:SourceAccount`` or ``aws:SourceArn``) to this account or to a declared reader.
"""

from __future__ import annotations

from typing import Any

from dataroom.controls.judge import foreign_principals
from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.policies.rules.policy_documents import (
    condition_keys,
    documents,
    is_negated,
    label,
    literal_text,
    of_account,
)
from dataroom.template_policy import as_list, statements

#: Condition keys that name who calls: pinned to the room's account, they confine ``*``.
PINNING_KEYS = frozenset(
    {"aws:principalaccount", "aws:principalarn", "aws:sourceaccount", "aws:sourcearn"}
)


def _pinned(statement: dict[str, Any], account: str, readers: set[str]) -> bool:
    """Whether a condition confines the statement's callers to ``account`` or declared readers."""
    for operator, key, value in condition_keys(statement):
        if key not in PINNING_KEYS or is_negated(operator) or operator.startswith("ForAnyValue"):
            continue
        values = as_list(value)
        if values and all(of_account(v, account) or literal_text(v) in readers for v in values):
            return True
    return False


def check(ctx: RuleContext) -> Verdict:
    readers = {str(r) for r in ctx.metadata.get("readers") or []}
    findings = []
    for _, document in documents(ctx.resource):
        for index, statement in enumerate(statements(document)):
            if statement.get("Effect") != "Allow":
                continue
            for principal in foreign_principals(statement.get("Principal"), ctx.account):
                if principal in readers:
                    continue
                if _pinned(statement, ctx.account, readers):
                    continue
                findings.append(f"{label(statement, index)} grants {principal}")
    return findings


RULE = Rule(
    rule_id="S34BucketPolicyAccount",
    control="S3-4",
    info="A bucket policy grants a principal of another account (or any principal) that the "
    "room does not declare as a reader.",
    explanation="A bucket policy is read by S3 itself: a grant to another account reaches the "
    "room's objects past every deny on the room's roles. Only the room account's principals, "
    "AWS services acting for it, and the readers the manifest declares may be granted.",
    resource_types=frozenset({"AWS::S3::BucketPolicy"}),
    check=check,
    never_suppressible=True,
    room_accounts_only=True,
)
