"""S3-4/PER-1: no key policy in a guarded account grants another account.

One exception, by name: a reader the manifest declares (an export consumer, EXP-1, or a results
reader, PHS-1; template metadata ``dataroom.readers``) may be granted ``kms:Decrypt`` only, and
only as S3's call for it (``kms:ViaService`` = ``s3.<region>.amazonaws.com``), so it decrypts
just what a bucket policy already lets it read.
"""

from __future__ import annotations

from typing import Any

from dataroom.controls.judge import foreign_principals
from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.template_policy import as_list, statements


def _declared_reader_decrypt(statement: dict[str, Any], principal: str, readers: set[str]) -> bool:
    actions = {str(a) for a in as_list(statement.get("Action"))}
    condition = statement.get("Condition") or {}
    via = next(
        (
            condition.get(op, {}).get("kms:ViaService")
            for op in ("StringEquals", "StringLike")
            if "kms:ViaService" in condition.get(op, {})
        ),
        None,
    )
    return (
        principal in readers
        and actions == {"kms:Decrypt"}
        and isinstance(via, str)
        and via.startswith("s3.")
    )


def check(ctx: RuleContext) -> Verdict:
    readers = {str(r) for r in ctx.metadata.get("readers") or []}
    findings = []
    for index, statement in enumerate(statements(ctx.properties.get("KeyPolicy"))):
        if statement.get("Effect") != "Allow":
            continue
        for principal in foreign_principals(statement.get("Principal"), ctx.account):
            if not _declared_reader_decrypt(statement, str(principal), readers):
                findings.append(f"statement {index} grants {principal}")
    return findings


RULE = Rule(
    rule_id="S34KeyPolicyAccount",
    control="S3-4",
    info="A KMS key policy grants a principal of another account (or any principal).",
    explanation="The room key decrypts room data and logs: only the room account's principals "
    "(and AWS services acting for it) may use it.",
    resource_types=frozenset({"AWS::KMS::Key"}),
    check=check,
    never_suppressible=True,
    guarded_only=True,
)
