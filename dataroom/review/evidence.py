"""SOC 2 CC8.1 change evidence (CHG-3): what changed, who approved it, what was checked.

One evidence record per review: the commit and whether the tree was dirty, the SHA-256 of the
manifest and of every template, each room's approvals and ticket, the controls the threat-map
detectors found, the checks run and their results. With the previous record, the *difference*:
rooms added and removed, phase transitions, datasets, production prefixes and principals added
and removed, expiry extended or shortened, acknowledgements added and removed, controls that
disappeared. The record keeps exactly the facts that difference needs, so two records are enough
to compute it: no access to the previous assembly is required.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "EVIDENCE_KIND",
    "EvidenceError",
    "GitState",
    "diff_evidence",
    "git_state",
    "load_evidence",
    "sha256_file",
]

EVIDENCE_KIND = "dataroom-evidence"
GitState = dict[str, Any]
GitProbe = Callable[[Path], GitState]


class EvidenceError(Exception):
    """A previous evidence file that cannot be used (a usage error)."""


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git(directory: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(directory), *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout


def git_state(directory: Path) -> GitState:
    """``{"commit", "dirty", "error"}`` of the repository holding ``directory``.

    No git, or not a repository, is not an error of the review: the evidence then says so.
    """
    try:
        commit = _git(directory, "rev-parse", "HEAD").strip()
        dirty = bool(_git(directory, "status", "--porcelain").strip())
    except FileNotFoundError:
        return {"commit": None, "dirty": None, "error": "git is not installed"}
    except subprocess.CalledProcessError as exc:
        message = (exc.stderr or "").strip().splitlines()
        return {"commit": None, "dirty": None, "error": message[0] if message else "git failed"}
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"commit": None, "dirty": None, "error": str(exc)}
    return {"commit": commit, "dirty": dirty, "error": None}


def load_evidence(path: str | Path) -> dict[str, Any]:
    """A previous evidence file; :class:`EvidenceError` when it is not one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvidenceError(f"{path}: cannot read the previous evidence ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise EvidenceError(f"{path}: the previous evidence is not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("kind") != EVIDENCE_KIND:
        raise EvidenceError(f"{path}: not a dataroom evidence file (kind {EVIDENCE_KIND!r})")
    rooms = data.get("rooms")
    if not isinstance(rooms, list) or not all(isinstance(r, dict) and "name" in r for r in rooms):
        raise EvidenceError(f"{path}: 'rooms' must be a list of rooms with a 'name'")
    return data


def _by_name(evidence: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(r["name"]): r for r in evidence.get("rooms", [])}


def _set_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], field: str, item: str
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    added: list[dict[str, str]] = []
    removed: list[dict[str, str]] = []
    for name in sorted(set(before) & set(after)):
        old = set(before[name].get(field, []))
        new = set(after[name].get(field, []))
        added.extend({"room": name, item: v} for v in sorted(new - old))
        removed.extend({"room": name, item: v} for v in sorted(old - new))
    return added, removed


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def diff_evidence(previous: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """What changed from ``previous`` to ``current`` (two evidence records).

    Per-room changes are listed for rooms present in both; a room added or removed is listed
    once, as such, with its own facts in the record that has it.
    """
    before, after = _by_name(previous), _by_name(current)
    datasets_added, datasets_removed = _set_changes(before, after, "datasets", "dataset")
    prefixes_added, prefixes_removed = _set_changes(before, after, "prefixes", "prefix")
    principals_added, principals_removed = _set_changes(before, after, "principals", "principal")
    phases: list[dict[str, Any]] = []
    expiry: list[dict[str, Any]] = []
    disappeared: list[dict[str, str]] = []
    for name in sorted(set(before) & set(after)):
        old, new = before[name], after[name]
        if old.get("phase") != new.get("phase"):
            phases.append({"room": name, "from": old.get("phase"), "to": new.get("phase")})
        was, now = _date(old.get("expires")), _date(new.get("expires"))
        if was and now and was != now:
            expiry.append(
                {
                    "room": name,
                    "from": was.isoformat(),
                    "to": now.isoformat(),
                    "change": "extended" if now > was else "shortened",
                    "days": (now - was).days,
                }
            )
        gone = set(old.get("controls_present", [])) - set(new.get("controls_present", []))
        disappeared.extend({"room": name, "control": c} for c in sorted(gone))
    acks_before = set(previous.get("acknowledgements", []))
    acks_after = set(current.get("acknowledgements", []))
    templates_before = {
        t.get("artifact_id"): t.get("sha256") for t in previous.get("templates", [])
    }
    templates_after = {t.get("artifact_id"): t.get("sha256") for t in current.get("templates", [])}
    return {
        "previous": {
            "generated_at": previous.get("generated_at"),
            "commit": (previous.get("change") or {}).get("commit"),
            "manifest_sha256": (previous.get("manifest") or {}).get("sha256"),
        },
        "rooms_added": sorted(set(after) - set(before)),
        "rooms_removed": sorted(set(before) - set(after)),
        "phase_transitions": phases,
        "datasets_added": datasets_added,
        "datasets_removed": datasets_removed,
        "prefixes_added": prefixes_added,
        "prefixes_removed": prefixes_removed,
        "principals_added": principals_added,
        "principals_removed": principals_removed,
        "expiry_changes": expiry,
        "acknowledgements_added": sorted(acks_after - acks_before),
        "acknowledgements_removed": sorted(acks_before - acks_after),
        "controls_disappeared": disappeared,
        "templates_changed": sorted(
            str(a)
            for a in set(templates_before) | set(templates_after)
            if templates_before.get(a) != templates_after.get(a)
        ),
        "manifest_changed": (previous.get("manifest") or {}).get("sha256")
        != (current.get("manifest") or {}).get("sha256"),
    }


def difference_is_empty(difference: Mapping[str, Any]) -> bool:
    """True when nothing a reviewer approves changed (hash-only changes aside)."""
    return not any(
        difference.get(k)
        for k in (
            "rooms_added",
            "rooms_removed",
            "phase_transitions",
            "datasets_added",
            "datasets_removed",
            "prefixes_added",
            "prefixes_removed",
            "principals_added",
            "principals_removed",
            "expiry_changes",
            "acknowledgements_added",
            "acknowledgements_removed",
            "controls_disappeared",
        )
    )
