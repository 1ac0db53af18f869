"""Policies applied to every stack: cdk-nag packs and their acknowledgements.

The gate lives in ``dataroom.policies.nag``. This package imports nothing eagerly, so readers of a
synthesized assembly (``dataroom summary``) do not start jsii just to name the packs.
"""
