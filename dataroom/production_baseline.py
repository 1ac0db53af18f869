"""ProductionBaseline: the data room controls, applied to a team's own production app (DRF-1)."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import App, Stage, Validations
from cdk_nag import AwsSolutionsChecks, NagPack, NIST80053R5Checks

from dataroom.baseline import DEFAULT_BASELINE, Baseline, load_baseline
from dataroom.gated import mark_gated
from dataroom.policies.data_room_checks import DataRoomChecks
from dataroom.policies.gate import DataRoomGate
from dataroom.policies.judge import AssemblyJudge


class ProductionBaseline:
    """One production baseline, applied where production is defined.

    ``ProductionBaseline.apply(app)`` registers on a production app the same gate every data
    room passes: ``DataRoomChecks`` against the baseline file (trail, detector, key rotation,
    log retention, public access, TLS, cross-account read roles...; the room-only rules such as
    "no internet path" do not apply to production stacks), cdk-nag's AwsSolutions and NIST
    800-53 R5 packs unless ``cdk_nag_packs=False``, and the rule that never-suppressible
    findings cannot be acknowledged. Synthesis of the production app then fails on the same
    weakenings a room would, and the baseline file is the one the data room app compares rooms
    with, so production and rooms cannot drift apart silently.

    Usage, in the production app's ``app.py``::

        from dataroom import ProductionBaseline

        app = App()
        ProductionStack(app, "Prod")
        ProductionBaseline.apply(app, baseline="baseline.yaml")
        app.synth()
    """

    def __init__(self, baseline: Baseline, pack: DataRoomChecks) -> None:
        self.baseline = baseline
        self.pack = pack

    @classmethod
    def apply(
        cls,
        scope: App | Stage,
        *,
        baseline: Baseline | str | Path = DEFAULT_BASELINE,
        cdk_nag_packs: bool = True,
    ) -> ProductionBaseline:
        """Register the baseline's gate on ``scope``; returns what was registered."""
        loaded = baseline if isinstance(baseline, Baseline) else load_baseline(baseline)
        # Every stack of a production app is production's: all are guarded.
        judge = AssemblyJudge(baseline=loaded, guard_everything=True)
        pack = DataRoomChecks(scope, baseline=loaded, judge=judge)
        plugins: list[NagPack] = [pack]
        if cdk_nag_packs:
            plugins += [AwsSolutionsChecks(scope), NIST80053R5Checks(scope)]
        gate = DataRoomGate(judge=judge, scope=scope, report_suppressible=False)
        Validations.of(scope).add_plugins(*plugins, gate)
        mark_gated(scope)
        return cls(loaded, pack)
