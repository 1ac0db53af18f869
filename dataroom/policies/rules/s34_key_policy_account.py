"""S3-4/PER-1: no key policy in a guarded account grants another account."""

from __future__ import annotations

from dataroom.controls.judge import foreign_principals
from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.template_policy import statements


def check(ctx: RuleContext) -> Verdict:
    findings = []
    for index, statement in enumerate(statements(ctx.properties.get("KeyPolicy"))):
        if statement.get("Effect") != "Allow":
            continue
        for principal in foreign_principals(statement.get("Principal"), ctx.account):
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
