"""Fixtures of the fleet tests: the example's synthesized assembly (shared session app)."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import App


@pytest.fixture(scope="session")
def example_assembly(example_app: App) -> Path:
    return Path(example_app.outdir)
