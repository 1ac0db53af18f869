"""The nag gate: cdk-nag 3 packs registered as CDK validation plugins on every app.

Any finding that is not acknowledged fails synthesis; each construct acknowledges its own
by-design findings (``dataroom.constructs.acknowledge``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aws_cdk import App, Stage, Validations
from cdk_nag import AwsSolutionsChecks, NagPack, NIST80053R5Checks

from dataroom.baseline import Baseline, load_baseline
from dataroom.gated import mark_gated
from dataroom.local import is_local, require_local_endpoint
from dataroom.policies.pack_names import NAG_PACK_NAMES

#: The packs every dataroom app runs, by class.
NAG_PACKS: tuple[type[NagPack], ...] = (AwsSolutionsChecks, NIST80053R5Checks)

__all__ = ["NAG_PACKS", "NAG_PACK_NAMES", "apply_nag_gate", "nag_packs"]


def nag_packs(scope: App | Stage) -> list[NagPack]:
    """Fresh instances of every pack for ``scope``."""
    return [pack(scope) for pack in NAG_PACKS]


def apply_nag_gate(
    scope: App | Stage,
    *,
    baseline: Baseline | None = None,
    room_accounts: Iterable[str] = (),
    production_accounts: Iterable[str] = (),
    expectations: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """Register every pack on ``scope``: synthesis then fails on any unacknowledged finding.

    Besides cdk-nag's packs, ``DataRoomGate`` judges the synthesized templates against the
    control catalogue and ``baseline`` (default: ``examples/baseline.yaml``) in every stack of
    the app: stacks in ``room_accounts`` or ``production_accounts`` (or with an unresolved
    account) are judged like the rooms. Never-suppressible findings and unacceptable
    acknowledgements are fatal, which no acknowledgement can lift.
    """
    from dataroom.policies.gate import DataRoomGate
    from dataroom.policies.judge import AssemblyJudge

    baseline = baseline or load_baseline()
    # Local mode waives what moto cannot deploy, and only towards a loopback endpoint.
    local = is_local(scope)
    if local:
        require_local_endpoint()
    judge = AssemblyJudge(
        baseline=baseline,
        room_accounts=room_accounts,
        production_accounts=production_accounts,
        expectations=expectations,
        local=local,
    )
    # DataRoomGate reports every DataRoom rule from the assembly in one pass (the cdk-nag pack
    # DataRoomChecks would call back into Python once per resource: the gate's cost per room).
    Validations.of(scope).add_plugins(*nag_packs(scope), DataRoomGate(judge=judge, scope=scope))
    mark_gated(scope)
