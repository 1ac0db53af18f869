"""DataRoomChecks: our own cdk-nag 3 pack, judging synthesized templates against the catalogue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import jsii
from aws_cdk import CfnResource, Stack, Stage
from cdk_nag import IApplyRule, NagMessageLevel, NagPack, NagRuleCompliance
from constructs import IConstruct, IValidation

from dataroom.baseline import Baseline
from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.policies.rules.catalog import NEVER_SUPPRESSIBLE, PACK_NAME, RULES


@jsii.implements(IApplyRule)
class _Application:
    """One rule applied to one resource, in the shape cdk-nag's ``applyRule`` calls back."""

    def __init__(self, node: CfnResource, rule: Rule, context: RuleContext) -> None:
        self._node = node
        self._rule = rule
        self._context = context

    @property
    def node(self) -> CfnResource:
        return self._node

    @property
    def rule_suffix_override(self) -> str:
        return self._rule.rule_id

    @property
    def info(self) -> str:
        return f"[{self._rule.control}] {self._rule.info}"

    @property
    def explanation(self) -> str:
        return self._rule.explanation

    @property
    def level(self) -> NagMessageLevel:
        return NagMessageLevel.ERROR

    def rule(self, node: CfnResource) -> NagRuleCompliance | list[str]:
        verdict: Verdict = self._rule.check(self._context)
        if verdict is None:
            return NagRuleCompliance.NOT_APPLICABLE
        if isinstance(verdict, list):
            return verdict or NagRuleCompliance.COMPLIANT
        return NagRuleCompliance.COMPLIANT if verdict else NagRuleCompliance.NON_COMPLIANT


class DataRoomChecks(NagPack):
    """The data room catalogue as a cdk-nag pack: one rule per control, judged on templates.

    cdk-nag's packs read construct properties, so an ``add_property_override`` escape hatch
    hides a weakening from them; these rules read the synthesized template instead, which is
    what CloudFormation deploys. Rules marked never-suppressible cannot be acknowledged (see
    :class:`NeverSuppressed`). Parity rules (DRF-2) compare with ``baseline``.

    :param scope: the app or stage the pack validates.
    :param baseline: production's controls.
    """

    def __init__(self, scope: IConstruct | None = None, *, baseline: Baseline) -> None:
        super().__init__(scope)
        self._pack_name = PACK_NAME
        self._baseline = baseline
        self._templates: dict[Path, dict[str, Any]] = {}
        self._judged: dict[Stack, dict[str, list[tuple[Rule, RuleContext]]]] = {}

    @property
    def name(self) -> str:
        return PACK_NAME

    def _check_resource(self, node: CfnResource) -> None:
        # Every rule is judged in Python once per stack (``_failures``); cdk-nag is called back
        # only for the failing ones, since jsii round trips are what a synth pays for here.
        stack = Stack.of(node)
        failures = self._failures(stack)
        if not failures:
            return
        for rule, context in failures.get(str(stack.resolve(node.logical_id)), ()):
            # jsii reads the protocol through the properties; mypy wants settable members.
            self._apply_rule(cast(IApplyRule, _Application(node, rule, context)))

    def _failures(self, stack: Stack) -> dict[str, list[tuple[Rule, RuleContext]]]:
        """logical id -> the rules its resource fails, judged on the synthesized template."""
        cached = self._judged.get(stack)
        if cached is not None:
            return cached
        template = self._template(stack)
        account, region = str(stack.account), str(stack.region)
        failures: dict[str, list[tuple[Rule, RuleContext]]] = {}
        for logical_id, resource in template.get("Resources", {}).items():
            kind = resource.get("Type")
            context = RuleContext(
                logical_id=logical_id,
                resource=resource,
                template=template,
                baseline=self._baseline,
                account=account,
                region=region,
            )
            for rule in RULES:
                if kind not in rule.resource_types and "*" not in rule.resource_types:
                    continue
                if rule.rooms_only and context.kind != "room":
                    continue
                if _failed(rule.check(context)):
                    failures.setdefault(logical_id, []).append((rule, context))
        self._judged[stack] = failures
        return failures

    def _template(self, stack: Stack) -> dict[str, Any]:
        stage = Stage.of(stack)
        if stage is None:
            raise RuntimeError(f"{stack.node.path}: DataRoomChecks needs a stack inside an app")
        path = Path(stage.outdir) / stack.template_file
        if path not in self._templates:
            if not path.is_file():
                raise RuntimeError(
                    f"DataRoomChecks reads synthesized templates, and {path} does not exist: "
                    "synthesize the app before calling validate_scope()"
                )
            self._templates[path] = json.loads(path.read_text(encoding="utf-8"))
        return self._templates[path]


def _failed(verdict: Verdict) -> bool:
    return verdict is False or (isinstance(verdict, list) and bool(verdict))


@jsii.implements(IValidation)
class NeverSuppressed:
    """Fails synthesis when a never-suppressible DataRoomChecks finding is acknowledged anywhere."""

    def __init__(self, scope: IConstruct) -> None:
        self._scope = scope

    def validate(self) -> list[str]:
        from aws_cdk import Validations

        errors = []
        for construct in self._scope.node.find_all():
            for entry in construct.node.metadata:
                if entry.type != Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                    continue
                for rule_id in entry.data:
                    bare = str(rule_id).split("::", 1)[-1].split("[", 1)[0]
                    if bare in NEVER_SUPPRESSIBLE:
                        errors.append(
                            f"{construct.node.path}: {rule_id} cannot be acknowledged: it is "
                            "never-suppressible (README, 'DataRoomChecks'); fix the resource"
                        )
        return errors
