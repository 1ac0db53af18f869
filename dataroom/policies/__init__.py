"""Policies applied to every stack: cdk-nag packs and their acknowledgements."""

from dataroom.policies.nag import NAG_PACKS, apply_nag_gate, nag_packs

__all__ = ["NAG_PACKS", "apply_nag_gate", "nag_packs"]
