"""Which apps (or stages) have the dataroom gate registered: a room needs one to be judged.

``apply_nag_gate`` and ``ProductionBaseline.apply`` mark the scope they register the gate on; a
:class:`~dataroom.constructs.DataRoom` refuses to synthesize in an app where no scope above it is
marked, since nothing would then judge it (``cdk synth`` is the gate). The mark is an attribute
of the Python object jsii hands back for the scope, which is the object the app created.
"""

from __future__ import annotations

from constructs import IConstruct

_MARK = "_dataroom_gate_registered"
_WAIVED = "_dataroom_gate_waived"

__all__ = ["is_gated", "mark_gated", "waive_gate"]


def mark_gated(scope: IConstruct) -> None:
    """Record that the dataroom gate judges every stack below ``scope``."""
    setattr(scope, _MARK, True)


def waive_gate(scope: IConstruct, *, why: str) -> None:
    """Explicitly synthesize ``scope`` without the gate (``build_app(nag=False)``: tests that
    inspect a template the gate would refuse). ``why`` says who waived it."""
    if not why.strip():
        raise ValueError("why='': expected who waives the gate, and why")
    setattr(scope, _WAIVED, why)


def is_gated(construct: IConstruct) -> bool:
    """Whether the dataroom gate was registered on ``construct`` or a scope above it, or
    explicitly waived there."""
    return any(
        getattr(scope, _MARK, False) or getattr(scope, _WAIVED, None)
        for scope in construct.node.scopes
    )
