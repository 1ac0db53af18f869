"""The production baseline: what production runs, read from ``baseline.yaml`` (DRF-1). jsii-free.

A team describes its production controls once; its own production CDK app applies them with
:class:`dataroom.policies.baseline.ProductionBaseline`, the data room app compares every room
against them at synth (DRF-2) and ``dataroom audit`` compares deployed accounts (DRF-3). A room
may be stricter than the baseline, never weaker.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dataroom.manifest import GuardDutyFeature

#: The default baseline, shipped with the package (a copy of ``examples/baseline.yaml``, kept
#: equal by a test), so an installed ``dataroom`` needs no checkout; a team points
#: ``-c baseline=`` at its own.
DEFAULT_BASELINE = str(Path(__file__).parent / "data" / "baseline.yaml")

#: Finding publishing frequencies, fastest first (a room may publish faster, never slower).
FREQUENCIES = ("FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TrailBaseline(_Frozen):
    """CloudTrail as production runs it."""

    multi_region: bool = True
    log_file_validation: bool = True
    kms_encrypted: bool = True
    cloudwatch_logs: bool = True
    object_lock_days: int = Field(default=365, ge=1)


class GuardDutyBaseline(_Frozen):
    """GuardDuty as production runs it."""

    features: tuple[GuardDutyFeature, ...] = ("S3_DATA_EVENTS",)
    finding_publishing_frequency: Literal["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"] = (
        "FIFTEEN_MINUTES"
    )


class KeyBaseline(_Frozen):
    """Customer-managed KMS keys as production runs them."""

    rotation: bool = True
    max_rotation_period_days: int = Field(default=365, ge=90, le=2560)
    min_pending_window_days: int = Field(default=30, ge=7, le=30)


class Baseline(_Frozen):
    """Production's controls. Every field is a floor (or a ceiling) a room must meet."""

    source: str = "<memory>"
    log_retention_days: int = Field(default=365, ge=1)
    trail: TrailBaseline = TrailBaseline()
    guardduty: GuardDutyBaseline = GuardDutyBaseline()
    kms: KeyBaseline = KeyBaseline()
    config_rules: tuple[str, ...] = ()
    allowed_regions: tuple[str, ...] = Field(default=(), description="empty: any region")
    max_finding_severity_alerted: float = Field(
        default=4.0, ge=1.0, le=10.0, description="alerts fire at this severity or lower"
    )


class BaselineError(ValueError):
    """A baseline file that cannot be used; the message names the file and each field."""


def load_baseline(path: str | Path = DEFAULT_BASELINE) -> Baseline:
    """Read and validate a baseline file; :class:`BaselineError` names the file and fields."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise BaselineError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise BaselineError(f"{path}: expected a mapping of baseline settings")
    try:
        return Baseline.model_validate({**data, "source": str(path)})
    except ValidationError as exc:
        lines = [
            f"{path}: {'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        ]
        raise BaselineError("\n".join(lines)) from exc
