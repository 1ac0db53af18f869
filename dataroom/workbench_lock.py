"""``dataroom workbench lock``: a room's package allow-list from a lock file, offline (WBN-2).

The room's mirror fetches from PyPI only what ``rooms[].workbench.packages`` names, so that list
must hold every distribution pip will install: the packages a scientist asked for *and* their
dependencies. Resolving dependencies needs PyPI, which the room cannot reach; so resolution
happens where it can (a workstation with ``pip-compile``, ``uv pip compile`` or ``pip freeze`` in
a scratch environment), and its output, a lock file, is the input here. This command reads that
file without any network and either prints the ``packages:`` block for the manifest, or checks
a room's allow-list against it (exit 1 naming what is missing). Either way the allow-list grows
only through a manifest change, reviewed and approved like any other.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from dataroom.manifest import ManifestError, load_manifest

__all__ = ["LockError", "add_parser", "read_lock"]


class LockError(ValueError):
    """A lock file line that is not a plain PyPI requirement."""


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    number, pending = 0, ""
    for index, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not pending:
            number = index
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield number, (pending + line).strip()
        pending = ""
    if pending.strip():
        yield number, pending.strip()


def read_lock(text: str, *, source: str = "<lock>") -> dict[str, str]:
    """Normalized name -> the requirement as pinned, for every distribution of a lock file.

    Hash options (``--hash=...``) are ignored; other options, editable installs and URLs are
    refused: the room installs from its PyPI mirror by name only.
    """
    out: dict[str, str] = {}
    for number, line in _logical_lines(text):
        requirement_text = " ".join(w for w in line.split() if not w.startswith("--hash"))
        if not requirement_text:
            continue
        if requirement_text.startswith("-"):
            raise LockError(
                f"{source}:{number}: {requirement_text.split()[0]!r}: options are not supported; "
                "the room's mirror is the only index"
            )
        try:
            requirement = Requirement(requirement_text)
        except InvalidRequirement as exc:
            raise LockError(f"{source}:{number}: {requirement_text!r}: {exc}") from None
        if requirement.url:
            raise LockError(
                f"{source}:{number}: {requirement.name} comes from a URL; the room installs "
                "from its PyPI mirror by name only"
            )
        name = str(canonicalize_name(requirement.name))
        out[name] = f"{name}{requirement.specifier}"
    return out


def _lock(args: argparse.Namespace) -> int:
    path = Path(args.lockfile)
    try:
        locked = read_lock(path.read_text(encoding="utf-8"), source=str(path))
    except OSError as exc:
        print(f"{path}: cannot read the lock file: {exc.strerror}", file=sys.stderr)
        return 2
    except LockError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.room is None:
        print("packages:")
        for name in sorted(locked):
            print(f"  - {locked[name]}")
        return 0
    try:
        manifest = load_manifest(args.manifest)
        room = manifest.room(args.room)
    except ManifestError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyError:
        print(f"{args.manifest}: no room {args.room!r}", file=sys.stderr)
        return 2
    index = manifest.rooms.index(room)
    allowed = set(room.workbench.package_names) if room.workbench else set()
    missing = sorted(set(locked) - allowed)
    if missing:
        print(
            f"{args.manifest}: rooms[{index}].workbench.packages lacks {len(missing)} package(s) "
            f"of {path} (pip would fail to install them from the room's mirror): "
            + ", ".join(missing),
            file=sys.stderr,
        )
        print("add them with a manifest change, approved like any other", file=sys.stderr)
        return 1
    print(f"{args.manifest}: room {room.name} allows all {len(locked)} package(s) of {path}")
    return 0


def add_parser(sub: Any) -> None:
    """Register ``dataroom workbench lock`` on the CLI's sub-parsers."""
    workbench = sub.add_parser("workbench", help="the room's workbench (WBN-1..4)")
    commands = workbench.add_subparsers(dest="workbench_command", required=True)
    lock = commands.add_parser(
        "lock",
        help="a room's package allow-list from a lock file (offline)",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    lock.add_argument("lockfile", help="pip-compile / uv pip compile / pip freeze output")
    lock.add_argument("--manifest", default="examples/rooms.yaml")
    lock.add_argument(
        "--room", help="check this room's allow-list instead of printing a packages block"
    )
    lock.set_defaults(func=_lock)
