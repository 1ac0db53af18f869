"""The nag gate: cdk-nag 3 packs registered as CDK validation plugins on every app.

Any finding that is not acknowledged (see ``acknowledgements.py``) fails synthesis.
"""

from __future__ import annotations

from aws_cdk import App, Stage, Validations
from cdk_nag import AwsSolutionsChecks, NagPack, NIST80053R5Checks

from dataroom.baseline import Baseline, load_baseline
from dataroom.policies.pack_names import NAG_PACK_NAMES

#: The packs every dataroom app runs, by class.
NAG_PACKS: tuple[type[NagPack], ...] = (AwsSolutionsChecks, NIST80053R5Checks)

__all__ = ["NAG_PACKS", "NAG_PACK_NAMES", "apply_nag_gate", "nag_packs"]


def nag_packs(scope: App | Stage) -> list[NagPack]:
    """Fresh instances of every pack for ``scope``."""
    return [pack(scope) for pack in NAG_PACKS]


def apply_nag_gate(scope: App | Stage, *, baseline: Baseline | None = None) -> None:
    """Register every pack on ``scope``: synthesis then fails on any unacknowledged finding.

    Besides cdk-nag's packs, ``DataRoomChecks`` judges the synthesized templates against the
    control catalogue and ``baseline`` (default: ``examples/baseline.yaml``), and acknowledging
    one of its never-suppressible findings fails synthesis by itself.
    """
    from dataroom.policies.data_room_checks import DataRoomChecks, NeverSuppressed

    baseline = baseline or load_baseline()
    Validations.of(scope).add_plugins(*nag_packs(scope), DataRoomChecks(scope, baseline=baseline))
    scope.node.add_validation(NeverSuppressed(scope))
