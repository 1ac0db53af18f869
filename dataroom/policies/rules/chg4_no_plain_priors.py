"""CHG-4: model priors only in encrypted secrets, never as plain values in a template."""

from __future__ import annotations

import re
from typing import Any

from dataroom.policies.rules.base import Rule, RuleContext, Verdict

#: The words of a name: ``PRIOR_DEPLOY_RATE``, ``modelPrior``, ``model-priors.json``.
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_PRIOR_WORDS = {"prior", "priors"}


def says_prior(name: str) -> bool:
    """Whether ``name`` has the word "prior" (not merely the letters, as in ``Priority``)."""
    return any(word.lower() in _PRIOR_WORDS for word in _WORDS.findall(name))


def _literal(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _walk(value: Any, path: str) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        if any(key.startswith("Fn::") or key == "Ref" for key in value):
            return found  # resolved at deploy time: not a literal in the template
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if says_prior(str(key)) and _literal(item):
                found.append(f"{where} is a literal prior value")
            found.extend(_walk(item, where))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_walk(item, f"{path}[{index}]"))
    return found


def check(ctx: RuleContext) -> Verdict:
    kind = ctx.resource.get("Type")
    if kind == "AWS::SecretsManager::Secret":
        return None  # where priors belong
    props = ctx.properties
    findings = _walk(props, "")
    named_prior = says_prior(str(props.get("Name", "")))
    if kind == "AWS::SSM::Parameter" and named_prior and props.get("Type") != "SecureString":
        findings.append("a prior in a plain String parameter")
    return findings


RULE = Rule(
    rule_id="CHG4NoPlainPriors",
    control="CHG-4",
    info="A model prior appears as a plain value (environment variable, parameter or property).",
    explanation="Priors are sensitive configuration: they live only in KMS-encrypted secrets "
    "readable by the room's roles, never in a template, context or environment variable.",
    resource_types=frozenset({"*"}),
    check=check,
    never_suppressible=True,
)
