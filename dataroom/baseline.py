"""The production baseline: what production runs, read from ``baseline.yaml`` (DRF-1). jsii-free.

A team describes its production controls once; its own production CDK app applies them with
:class:`dataroom.policies.baseline.ProductionBaseline`, the data room app compares every room
against them at synth (DRF-2) and ``dataroom audit`` compares deployed accounts (DRF-3). A room
may be stricter than the baseline, never weaker.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dataroom.controls.monitoring import (
    ALL_GUARDDUTY_FEATURES,
    DEFAULT_MIN_SEVERITY,
    FREQUENCIES,
    Frequency,
    GuardDutyFeature,
)

#: The default baseline, shipped with the package (a copy of ``examples/baseline.yaml``, kept
#: equal by a test), so an installed ``dataroom`` needs no checkout; a team points
#: ``-c baseline=`` at its own.
DEFAULT_BASELINE = str(Path(__file__).parent / "data" / "baseline.yaml")

__all__ = ["DEFAULT_BASELINE", "FREQUENCIES", "Baseline", "BaselineError", "load_baseline"]


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

    features: tuple[GuardDutyFeature, ...] = ALL_GUARDDUTY_FEATURES
    finding_publishing_frequency: Frequency = FREQUENCIES[0]


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
        default=DEFAULT_MIN_SEVERITY,
        ge=1.0,
        le=10.0,
        description="alerts fire at this severity or lower",
    )
    max_room_days: int = Field(
        default=180, ge=1, le=3650, description="longest a room may last from the day it is built"
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
    missing = _missing_fields(Baseline, data, "")
    if missing:
        # A baseline is production's word: an omitted field must not fall back to a default the
        # file's author never chose (DRF-2), so a partial file is refused, naming every gap.
        raise BaselineError(
            "\n".join(
                f"{path}: {name}: missing; a baseline states every field (see {DEFAULT_BASELINE})"
                for name in missing
            )
        )
    try:
        return Baseline.model_validate({**data, "source": str(path)})
    except ValidationError as exc:
        lines = [
            f"{path}: {'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        ]
        raise BaselineError("\n".join(lines)) from exc


def _missing_fields(model: type[BaseModel], data: Any, prefix: str) -> list[str]:
    """Dotted names of the fields of ``model`` (nested models included) absent from ``data``."""
    if not isinstance(data, dict):
        return []  # the wrong type is reported by validation, with the field's path
    missing = []
    for name, info in model.model_fields.items():
        if name == "source":
            continue
        dotted = f"{prefix}{name}"
        if name not in data:
            missing.append(dotted)
            continue
        nested = info.annotation
        if isinstance(nested, type) and issubclass(nested, BaseModel):
            missing.extend(_missing_fields(nested, data[name], f"{dotted}."))
    return missing
