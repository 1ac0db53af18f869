"""Builds the CDK app from a manifest. ``app.py`` at the repository root only calls :func:`main`.

Stack names are stable whatever the manifest holds:

- ``-c room=<name>`` synthesizes that one room as ``DataRoomStack`` (and the production stack),
  without building any other room's constructs: ``cdk deploy DataRoomStack -c room=<name>``;
- without it, a manifest of one room gives ``DataRoomStack``, of several ``DataRoomStack-<room>``.

The CloudFormation stack name is ``dataroom-<room>`` in every form, so the forms deploy the
same stacks. The production stack depends on the room stacks it trusts, so ``cdk deploy --all``
creates the scientist roles before the trust policies that name them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

from aws_cdk import App, Aspects, DefaultStackSynthesizer, Validations

from dataroom.baseline import DEFAULT_BASELINE, Baseline, BaselineError, load_baseline
from dataroom.gated import waive_gate
from dataroom.limits import StackLimits
from dataroom.local import LocalModeError, MotoCompatibility, is_local, require_local_endpoint
from dataroom.manifest import Manifest, ManifestError, Room, load_manifest
from dataroom.policies.nag import apply_nag_gate
from dataroom.stacks import DataRoomStack, ProductionAccessStack
from dataroom.stacks.data_room_stack import room_expectations

DEFAULT_MANIFEST = "examples/rooms.yaml"
#: The construct id (and ``cdk deploy`` name) of a room's stack when one room is synthesized.
SINGLE_ROOM_STACK_ID = "DataRoomStack"
#: The production-side stack: one per manifest, in the production account.
PRODUCTION_STACK_ID = "ProductionAccessStack"
#: ``-c room=<name>``: synthesize this room only, as ``DataRoomStack``.
ROOM_CONTEXT_KEY = "room"


class RoomSelectionError(ValueError):
    """``-c room=<name>`` names no room of the manifest."""


def room_stack_id(manifest: Manifest, room: Room, *, selected: bool = False) -> str:
    """The ``cdk`` name of a room's stack.

    ``DataRoomStack`` when the room is selected (``-c room=``) or the manifest has a single
    room, ``DataRoomStack-<room>`` otherwise. The CloudFormation stack name is
    ``dataroom-<room>`` either way, so adding a second room to a manifest never replaces the
    first room's deployed stack.
    """
    if selected or len(manifest.rooms) == 1:
        return SINGLE_ROOM_STACK_ID
    return f"{SINGLE_ROOM_STACK_ID}-{room.name}"


def select_room(manifest: Manifest, name: str | None) -> Room | None:
    """The room ``-c room=<name>`` selects; ``None`` without a selection."""
    if not name:
        return None
    try:
        return manifest.room(str(name))
    except KeyError:
        known = ", ".join(room.name for room in manifest.rooms)
        raise RoomSelectionError(
            f"-c {ROOM_CONTEXT_KEY}={name}: {manifest.source} has no room of that name; "
            f"expected one of: {known}"
        ) from None


def cdk_context(cdk_json: str | Path = "cdk.json") -> dict[str, Any]:
    """The context (feature flags and defaults) of ``cdk.json``, for apps built outside the CLI.

    Tests and benchmarks build ``App(context=cdk_context())`` so they synthesize with exactly the
    feature flags ``cdk synth`` uses.
    """
    data = json.loads(Path(cdk_json).read_text(encoding="utf-8"))
    return dict(data.get("context", {}))


def build_app(
    manifest: Manifest,
    *,
    app: App | None = None,
    nag: bool = True,
    baseline: Baseline | None = None,
    room: str | None = None,
    limits: StackLimits | None = None,
) -> App:
    """Add the stacks of ``manifest`` to ``app`` (a new one by default) and register the gate.

    ``room`` (default: the app's ``room`` context value) builds that room only, as
    ``DataRoomStack``; the production stack is built whole either way (it holds every room's
    read role: a stack of one room's would delete the others' on deploy). ``nag=False`` exists
    for tests that inspect a template the gate would refuse; the README's commands and
    ``app.py`` always run with the gate, and with :class:`StackLimits`.
    """
    app = app or App()
    if room is None:
        room = app.node.try_get_context(ROOM_CONTEXT_KEY)
    selected = select_room(manifest, room)
    rooms = (selected,) if selected is not None else manifest.rooms
    extra: dict[str, Any] = {}
    if is_local(app):
        # moto's UpdateStack cannot resolve the SSM-typed BootstrapVersion parameter on an
        # update: without it a local room can be changed and deployed again (dataroom/local.py).
        extra["synthesizer"] = DefaultStackSynthesizer(generate_bootstrap_version_rule=False)
    room_stacks = {
        r.name: DataRoomStack(
            app,
            room_stack_id(manifest, r, selected=selected is not None),
            manifest=manifest,
            room=r,
            **extra,
        )
        for r in rooms
    }
    if any(r.reads_production for r in manifest.rooms):
        if selected is not None:
            _require_own_endpoints(manifest, selected)
        production = ProductionAccessStack(
            app,
            PRODUCTION_STACK_ID,
            manifest=manifest,
            room_endpoints=shared_account_endpoints(manifest, list(room_stacks.values())),
            **extra,
        )
        # The read roles' trust names the scientist roles: real IAM refuses a trust policy naming
        # a role that does not exist, so each room account goes first (`cdk deploy --all`, and
        # `dataroom deploy-plan`). An ordering dependency only: no value crosses accounts.
        for name, stack in room_stacks.items():
            if manifest.room(name).reads_production:
                production.add_stack_dependency(
                    stack, "the read role trusts the room's scientist role"
                )
    if is_local(app):
        require_local_endpoint()
        Aspects.of(app).add(MotoCompatibility())
    if nag:
        apply_nag_gate(
            app,
            baseline=baseline,
            room_accounts={room.account for room in manifest.rooms},
            production_accounts={manifest.production.account},
            expectations={room.name: room_expectations(room) for room in manifest.rooms},
        )
        Validations.of(app).add_plugins(limits or StackLimits())
    else:
        waive_gate(app, why="build_app(nag=False)")
    return app


def _require_own_endpoints(manifest: Manifest, selected: Room) -> None:
    """Refuse ``-c room=`` when another room's reads are pinned to its own stack's endpoint.

    The production stack is built whole; a room that shares the production account is pinned
    to its S3 endpoint id (PER-3), which only that room's stack can give. Without it the
    production stack would be built without the pin: refuse rather than weaken.
    """
    production = manifest.production
    others = [
        r.name
        for r in manifest.rooms
        if r.name != selected.name and r.reads_production and r.account == production.account
    ]
    if others:
        raise RoomSelectionError(
            f"-c {ROOM_CONTEXT_KEY}={selected.name}: the production stack pins the reads of "
            f"{', '.join(others)} (in the production account) to their own stacks' S3 endpoints "
            "(PER-3), which a one-room synth does not build; synthesize every room (no -c room=)"
        )


def shared_account_endpoints(
    manifest: Manifest, room_stacks: list[DataRoomStack]
) -> dict[str, list[str]]:
    """PER-3: the S3 endpoint id of each room that reads production from production's account.

    The production stack pins those rooms' reads to the endpoint id (a cross-stack reference:
    the room's stack deploys first). A room with its own account needs none: its reads are
    pinned to endpoints of its account.
    """
    production = manifest.production
    endpoints: dict[str, list[str]] = {}
    for stack in room_stacks:
        room = stack.room
        if not room.reads_production or room.account != production.account:
            continue
        if manifest.room_region(room) != production.region:
            raise ValueError(
                f"rooms[{room.name}].region={manifest.room_region(room)!r}: a room in the "
                f"production account reads through its own S3 endpoint, which the production "
                f"stack can pin only in the production region {production.region!r}"
            )
        endpoints[room.name] = [stack.glovebox.s3_endpoint.vpc_endpoint_id]
    return endpoints


def priors_in_context(context: dict[str, Any]) -> list[str]:
    """Context keys that carry a model prior in plain text (CHG-4): they must not exist."""
    from dataroom.policies.rules.chg4_no_plain_priors import says_prior

    return sorted(key for key in context if says_prior(key))


def manifest_or_exit(
    path: str | Path, *, baseline: Baseline, today: dt.date | None = None
) -> Manifest:
    """The validated manifest, or exit 1 with the same messages ``dataroom validate`` prints.

    Any input ends here without a traceback: ``load_manifest`` turns every problem of the file
    (syntax, encoding, size, every field) into a :class:`ManifestError`.
    """
    try:
        return load_manifest(Path(path), today=today, max_room_days=baseline.max_room_days)
    except ManifestError as exc:
        print(
            f"dataroom: the manifest is not valid; nothing was synthesized.\n{exc}", file=sys.stderr
        )
        sys.exit(1)


def main() -> None:
    """Entry point of ``app.py``: manifest errors and gate failures end without a traceback."""
    app = App()
    # The CLI hands the app its context (cdk.json, -c, cdk.context.json) in this variable.
    plain = priors_in_context(json.loads(os.environ.get("CDK_CONTEXT_JSON") or "{}"))
    if plain:
        print(
            f"dataroom: context key(s) {', '.join(plain)} carry a model prior in plain text; "
            "declare priors in the manifest (rooms[].priors) and set their values in the room's "
            "secrets (CHG-4). Nothing was synthesized.",
            file=sys.stderr,
        )
        sys.exit(2)
    baseline_path = app.node.try_get_context("baseline") or DEFAULT_BASELINE
    try:
        baseline = load_baseline(baseline_path)
    except BaselineError as exc:
        print(
            f"dataroom: the baseline is not valid; nothing was synthesized.\n{exc}", file=sys.stderr
        )
        sys.exit(2)
    manifest = manifest_or_exit(
        str(app.node.try_get_context("manifest") or DEFAULT_MANIFEST), baseline=baseline
    )
    try:
        build_app(manifest, app=app, baseline=baseline)
    except (LocalModeError, RoomSelectionError) as exc:
        print(f"dataroom: {exc}", file=sys.stderr)
        sys.exit(2)
    except ValueError as exc:
        # A construct refused a value the manifest check let through: a bug of the check
        # (tests/manifest/test_agreement.py looks for these), reported without a traceback.
        print(
            f"dataroom: {manifest.source}: a construct refused the manifest; nothing was "
            f"synthesized.\n{exc}",
            file=sys.stderr,
        )
        sys.exit(1)
    try:
        app.synth()
    except Exception as exc:  # jsii re-raises the CDK's validation error as a RuntimeError
        print(
            f"dataroom: synthesis refused:\n{str(exc).strip() or type(exc).__name__}\n"
            "dataroom: the report above lists each finding; fix it, or acknowledge it with a "
            "specific reason on the construct that raises it (Validations.of(c).acknowledge)",
            file=sys.stderr,
        )
        sys.exit(1)
