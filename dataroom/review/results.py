"""What the review's detectors return and read: a control's checks (``ControlResult``) and
everything of one room they may look at (``RoomContext``). Kept apart from ``threats`` so the
detectors of other modules (workbench, airlock) need not import the module that registers them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dataroom.baseline import Baseline
from dataroom.controls import CONTROLS
from dataroom.manifest import Manifest, Room
from dataroom.review.assembly import StackTemplate, refers_to, statements
from dataroom.review.graph import AccessGraph, Node

PRESENT = "present"
MISSING = "missing"
NOT_APPLICABLE = "not-applicable"
BY_MANIFEST = "checked-by-manifest"


@dataclass(frozen=True)
class Check:
    """One thing a detector verified."""

    aspect: str
    ok: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"aspect": self.aspect, "ok": self.ok, "detail": self.detail}


@dataclass
class ControlResult:
    """A detector's verdict on one control in one room."""

    control: str
    checks: list[Check] = field(default_factory=list)
    note: str = ""
    by_manifest: bool = False

    @property
    def status(self) -> str:
        if self.by_manifest:
            return BY_MANIFEST
        if not self.checks:
            return NOT_APPLICABLE
        return PRESENT if all(c.ok for c in self.checks) else MISSING

    @property
    def present(self) -> bool:
        """True unless the control is missing (not applicable counts as not missing)."""
        return self.status != MISSING

    @property
    def missing(self) -> list[str]:
        return [c.detail for c in self.checks if not c.ok]

    def aspect_status(self, aspect: str | None) -> str:
        if aspect is None or self.status in (NOT_APPLICABLE, BY_MANIFEST):
            return self.status
        checks = [c for c in self.checks if c.aspect == aspect]
        if not checks:
            return self.status
        return PRESENT if all(c.ok for c in checks) else MISSING

    def check(self, aspect: str, ok: bool, detail: str) -> None:
        self.checks.append(Check(aspect, bool(ok), detail))

    def to_json(self) -> dict[str, Any]:
        return {
            "control": self.control,
            "title": CONTROLS[self.control].title if self.control in CONTROLS else "",
            "status": self.status,
            "note": self.note,
            "checks": [c.to_json() for c in self.checks],
            "missing": self.missing,
        }


@dataclass(frozen=True)
class RoomContext:
    """Everything a detector may look at for one room."""

    manifest: Manifest
    room: Room
    stack: StackTemplate
    production: tuple[StackTemplate, ...]
    graph: AccessGraph
    network: dict[str, Any]
    monitoring: dict[str, Any]
    #: The production baseline the gate compares with (DRF-2); None: strict in-memory defaults.
    baseline: Baseline | None = None

    @property
    def read_roles(self) -> list[Node]:
        return self.graph.of_kind("read-role")

    def buckets(self) -> list[str]:
        return [lid for lid, _ in self.stack.resources("AWS::S3::Bucket")]

    def log_target_buckets(self) -> set[str]:
        """Buckets other buckets deliver access logs to (SSE-S3 is required there)."""
        out: set[str] = set()
        for _, resource in self.stack.resources("AWS::S3::Bucket"):
            logging = resource.get("Properties", {}).get("LoggingConfiguration", {})
            for lid in self.buckets():
                if refers_to(logging.get("DestinationBucketName"), lid):
                    out.add(lid)
        return out

    def data_buckets(self) -> list[str]:
        """Room buckets the S3 endpoint policy admits: where room data lives."""
        out: list[str] = []
        for endpoint in self.network["endpoints"]:
            if endpoint["service"] != "s3":
                continue
            resources = " ".join(r for s in endpoint["policy"] for r in s["resources"])
            out.extend(b for b in self.buckets() if f"<{b}.Arn>" in resources)
        return sorted(set(out))

    def bucket_policy(self, bucket: str) -> list[dict[str, Any]]:
        for _, resource in self.stack.resources("AWS::S3::BucketPolicy"):
            props = resource.get("Properties", {})
            if refers_to(props.get("Bucket"), bucket):
                return statements(props.get("PolicyDocument"))
        return []
