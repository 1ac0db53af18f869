"""IAM-5: no IAM user, access key, login or identity provider in a room's or production's account.

A user with keys or a console password is a standing identity no permissions boundary caps and
no SourceIdentity names; an identity provider is a new way in. Judged on every stack of the app
that targets a guarded account, on the resource at fault.
"""

from __future__ import annotations

from dataroom.controls.identity import STANDING_IDENTITY_TYPES
from dataroom.policies.rules.base import Rule, RuleContext, Verdict


def check(ctx: RuleContext) -> Verdict:
    kind = str(ctx.resource.get("Type"))
    findings = [f"{STANDING_IDENTITY_TYPES[kind]} {ctx.logical_id}"]
    if kind == "AWS::IAM::User" and ctx.properties.get("LoginProfile"):
        findings.append(f"console login profile on {ctx.logical_id}")
    return findings


RULE = Rule(
    rule_id="IAM5NoStandingIdentity",
    control="IAM-5",
    info="A stack in a room's or production's account creates an IAM user, access key, login "
    "profile or identity provider.",
    explanation="Room access is through roles assumed with a SourceIdentity, capped by the "
    "boundary and expiring with the room; a long-lived user or key escapes all three.",
    resource_types=frozenset(STANDING_IDENTITY_TYPES),
    check=check,
    never_suppressible=True,
    guarded_only=True,
)
