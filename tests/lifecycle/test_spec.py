"""Lifecycle fields of the manifest and the instants derived from them (jsii-free)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dataroom.cli import main
from dataroom.manifest import ManifestError, parse_manifest
from dataroom.spec.lifecycle import (
    DEFAULT_BUDGET_USD_MONTH,
    expiry_instant,
    freeze_instant,
    lifecycle_problems,
    warning_instants,
)
from tests.conftest import EXAMPLE, TODAY

UTC = dt.UTC


def test_expiry_instant_is_the_start_of_the_next_day_utc() -> None:
    assert expiry_instant(dt.date(2027, 3, 31)) == dt.datetime(2027, 4, 1, tzinfo=UTC)


def test_warnings_already_due_are_left_out() -> None:
    expires = dt.date(2027, 3, 31)
    assert sorted(warning_instants(expires, today=dt.date(2027, 1, 1))) == [1, 7, 14]
    # On 2027-03-18 the 14-day warning (due 2027-03-18T00:00) is past; 7 and 1 remain.
    assert sorted(warning_instants(expires, today=dt.date(2027, 3, 18))) == [1, 7]
    assert warning_instants(expires, today=dt.date(2027, 3, 31)) == {}


def test_the_freeze_of_an_expired_room_is_the_next_midnight() -> None:
    expires = dt.date(2026, 11, 1)
    assert freeze_instant(expires, today=dt.date(2026, 12, 1)) == dt.datetime(
        2026, 12, 2, tzinfo=UTC
    )
    assert freeze_instant(dt.date(2027, 1, 1), today=dt.date(2026, 12, 1)) == dt.datetime(
        2027, 1, 2, tzinfo=UTC
    )


BASE = """
production: {account: "111111111111", region: us-east-1}
datasets:
  - {name: events, bucket: prod-telemetry, prefix: events/, classification: internal,
     tenancy: single-tenant}
rooms:
  - name: alpha-room
    account: "222222222222"
    phase: definition
    hypothesis: Cluster analysis separates deploys from intrusions
    ticket: SEC-1234
    owner: scientist@example.com
    approvers: [security-lead@example.com]
    expires: 2027-03-31
    principals: ["arn:aws:iam::222222222222:role/DataScientist"]
"""


def parse(extra_room: str = "", extra_top: str = ""):
    return parse_manifest(BASE + extra_room + extra_top, source="rooms.yaml", today=TODAY)


def test_budget_defaults_and_can_be_set() -> None:
    assert parse().rooms[0].budget_usd_month == DEFAULT_BUDGET_USD_MONTH == 200
    assert parse("    budget_usd_month: 900\n").rooms[0].budget_usd_month == 900


def test_a_budget_of_zero_is_refused_with_its_path() -> None:
    with pytest.raises(ManifestError, match=r"rooms\[0\]\.budget_usd_month"):
        parse("    budget_usd_month: 0\n")


RETIRED = """retired:
  - {name: old-room, account: "222222222222", retired_on: 2026-10-01, ticket: SEC-1000}
"""


def test_a_retired_rooms_account_is_not_reused_silently() -> None:
    with pytest.raises(ManifestError) as error:
        parse(extra_top=RETIRED)
    (message,) = error.value.messages
    assert "rooms[0].account" in message and "old-room (retired 2026-10-01)" in message
    assert "reuse_retired_account" in message


def test_reuse_with_a_justification_is_accepted() -> None:
    manifest = parse(
        "    reuse_retired_account: The account was wiped and re-baselined under SEC-1001\n",
        RETIRED,
    )
    assert manifest.retired[0].name == "old-room"
    assert manifest.rooms[0].reuse_retired_account is not None


def test_a_justification_without_a_retired_room_is_refused() -> None:
    with pytest.raises(ManifestError, match="is no retired room's account"):
        parse("    reuse_retired_account: The account was wiped and re-baselined\n")


def test_rooms_sharing_the_production_account_are_exempt() -> None:
    shared = BASE.replace('"222222222222"', '"111111111111"').replace(
        "arn:aws:iam::222222222222", "arn:aws:iam::111111111111"
    ) + (
        # A room in production's account and region adopts production's detector and recorder.
        "    monitoring: {existing_guardduty_detector_id: 12abc34d567e8fa901bc2d34e56789f0,\n"
        "                 existing_config_recorder: true}\n"
    )
    retired = RETIRED.replace("222222222222", "111111111111")
    manifest = parse_manifest(shared + retired, source="rooms.yaml", today=TODAY)
    assert manifest.rooms[0].account == manifest.retired[0].account


def test_a_retired_entry_is_validated() -> None:
    with pytest.raises(ManifestError, match=r"retired\[0\]\.account"):
        parse(extra_top="retired:\n  - {name: old-room, account: '12', retired_on: 2026-10-01}\n")


def test_workbench_rooms_must_state_a_budget() -> None:
    class WorkbenchRoom:
        name = "wb-room"
        account = "222222222222"
        workbench = object()
        reuse_retired_account = None
        model_fields_set: frozenset[str] = frozenset()

    (problem,) = lifecycle_problems([(0, WorkbenchRoom())], [], production_account=None)
    assert problem[0] == ["rooms", 0, "budget_usd_month"]
    WorkbenchRoom.model_fields_set = frozenset({"budget_usd_month"})
    assert lifecycle_problems([(0, WorkbenchRoom())], [], production_account=None) == []


def test_validate_refuses_reuse_on_the_command_line(tmp_path: Path, capsys) -> None:
    text = (
        EXAMPLE.read_text() + "\nretired:\n  - {name: gone, account: '222222222222', "
        "retired_on: 2026-10-01}\n"
    )
    path = tmp_path / "rooms.yaml"
    path.write_text(text)
    assert main(["validate", str(path)]) == 1
    assert "reuse_retired_account" in capsys.readouterr().err
