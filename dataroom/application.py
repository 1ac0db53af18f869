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

import json
import os
import sys
from pathlib import Path
from typing import Any

from aws_cdk import App, Aspects, DefaultStackSynthesizer, Validations

from dataroom.baseline import DEFAULT_BASELINE, Baseline, BaselineError, load_baseline
from dataroom.limits import StackLimits
from dataroom.local import LocalModeError, MotoCompatibility, is_local, require_local_endpoint
from dataroom.manifest import Manifest, ManifestError, Room, load_manifest
from dataroom.policies.nag import apply_nag_gate
from dataroom.stacks import DataRoomStack, ProductionAccessStack

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
        production = ProductionAccessStack(app, PRODUCTION_STACK_ID, manifest=manifest, **extra)
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
        apply_nag_gate(app, baseline=baseline)
        Validations.of(app).add_plugins(limits or StackLimits())
    return app


def priors_in_context(context: dict[str, Any]) -> list[str]:
    """Context keys that carry a model prior in plain text (CHG-4): they must not exist."""
    from dataroom.policies.rules.chg4_no_plain_priors import says_prior

    return sorted(key for key in context if says_prior(key))


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
    manifest_path = app.node.try_get_context("manifest") or DEFAULT_MANIFEST
    try:
        manifest = load_manifest(Path(manifest_path))
    except ManifestError as exc:
        print(
            f"dataroom: the manifest is not valid; nothing was synthesized.\n{exc}", file=sys.stderr
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
    try:
        build_app(manifest, app=app, baseline=baseline)
    except (LocalModeError, RoomSelectionError) as exc:
        print(f"dataroom: {exc}", file=sys.stderr)
        sys.exit(2)
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
