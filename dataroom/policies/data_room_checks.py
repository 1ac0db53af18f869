"""DataRoomChecks: our own cdk-nag 3 pack, judging synthesized templates against the catalogue."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import cast

import jsii
from aws_cdk import CfnResource, Stack, Stage
from cdk_nag import IApplyRule, NagMessageLevel, NagPack, NagRuleCompliance
from constructs import IConstruct

from dataroom.baseline import Baseline
from dataroom.policies.judge import AssemblyJudge
from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.policies.rules.catalog import PACK_NAME


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

    def rule(self, node: CfnResource) -> NagRuleCompliance | list[str]:  # noqa: ARG002 (jsii)
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
    what CloudFormation deploys. Every stack of the app is judged, nested stacks included; rules
    about a room's account judge every stack that targets one (see
    :class:`dataroom.policies.judge.AssemblyJudge`). Findings of never-suppressible rules are
    also reported as fatal by :class:`dataroom.policies.gate.DataRoomGate`, which no
    acknowledgement can suppress. Parity rules (DRF-2) compare with ``baseline``.

    :param scope: the app or stage the pack validates.
    :param baseline: production's controls.
    :param room_accounts: the accounts of the manifest's rooms.
    :param production_accounts: production's account(s).
    :param judge: share one judge with the gate so each template is judged once.
    """

    def __init__(
        self,
        scope: IConstruct | None = None,
        *,
        baseline: Baseline,
        room_accounts: Iterable[str] = (),
        production_accounts: Iterable[str] = (),
        judge: AssemblyJudge | None = None,
    ) -> None:
        super().__init__(scope)
        self._pack_name = PACK_NAME
        self._baseline = baseline
        self.judge = judge or AssemblyJudge(
            baseline=baseline,
            room_accounts=room_accounts,
            production_accounts=production_accounts,
        )
        self._paths: dict[Stack, Path] = {}

    @property
    def name(self) -> str:
        return PACK_NAME

    def _check_resource(self, node: CfnResource) -> None:
        # Every rule is judged in Python once per template (the judge); cdk-nag is called back
        # only for the failing ones, since jsii round trips are what a synth pays for here.
        stack = Stack.of(node)
        failures = self.judge.failures(self._template_path(stack))
        if not failures:
            return
        for failure in failures.get(str(stack.resolve(node.logical_id)), ()):
            application = _Application(node, failure.rule, failure.context)
            # jsii reads the protocol through the properties; mypy wants settable members.
            self._apply_rule(cast(IApplyRule, application))

    def _template_path(self, stack: Stack) -> Path:
        path = self._paths.get(stack)
        if path is None:
            stage = Stage.of(stack)
            if stage is None:
                raise RuntimeError(f"{stack.node.path}: DataRoomChecks needs a stack inside an app")
            path = Path(stage.outdir) / stack.template_file
            if not path.is_file():
                raise RuntimeError(
                    f"DataRoomChecks reads synthesized templates, and {path} does not exist: "
                    "synthesize the app before calling validate_scope()"
                )
            self._paths[stack] = path
        return path
