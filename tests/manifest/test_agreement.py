"""validate and synth agree, on generated manifests (hypothesis).

Whatever the manifest check accepts, the CDK app builds and synthesizes without a construct
refusing a value; whatever it refuses, the app's manifest gate refuses with the same messages and
exit 1. A second property feeds arbitrary text and bytes to the check: it never raises anything
but :class:`ManifestError`.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from aws_cdk import App
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dataroom import manifest_yaml
from dataroom.application import build_app, manifest_or_exit
from dataroom.baseline import Baseline
from dataroom.manifest import ALL_GUARDDUTY_FEATURES, ManifestError, load_manifest, parse_manifest
from tests.manifest.cases import BASE

TODAY = dt.date.today()
BASE_DATA: dict[str, Any] = yaml.safe_load(BASE)
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"

# Near-valid values: each list mixes what must pass with what a construct or AWS would refuse.
ROOM_FIELDS: dict[str, list[Any]] = {
    "name": ["ab1", "abnormal-process-exec", "x" * 32, "x" * 33, "production-access", "ab-"],
    "account": ["222222222222", 222222222222, "22222222222", "\uff12" * 12, "111111111111"],
    "region": [None, "us-east-1", "eu-west-1", "us-east-9", "cn-north-1"],
    "phase": ["definition", "exploration", "implementation", "preprod", "production-b"],
    "ticket": ["SEC-1", "SEC-" + "9" * 20, "SEC-" + "9" * 21, "A" * 33 + "-1", "sec-1"],
    "owner": ["scientist@example.com", "security-lead@example.com", "a@example..com"],
    "approvers": [["security-lead@example.com"], ["scientist@example.com"], []],
    "vpc_cidr": ["10.80.0.0/22", "10.0.0.0/16", "192.168.0.0/24", "10.80.0.0/25", "100.64.0.0/16"],
    "query_limit_gb": [1, 1024, 0, 1025],
    "tenancy": ["single-tenant", "multi-tenant"],
    "expires": [-1, 0, 1, 180, 181],
}
MONITORING_FIELDS: dict[str, list[Any]] = {
    "guardduty_features": [
        list(ALL_GUARDDUTY_FEATURES),
        ["S3_DATA_EVENTS"],
        ["EKS_AUDIT_LOGS"],
        ["S3_DATA_EVENTS", "S3_DATA_EVENTS"],
    ],
    "existing_guardduty_detector_id": [None, "a" * 32, "A" * 32],
    "existing_config_recorder": [False, True],
    "trail_lock_days": [365, 364, 3650, 3651],
    "log_retention_days": [365, 3653, 366],
    "min_finding_severity": [1.0, 10.0, 0.5, 8.9],
    "alert_emails": [[], ["soc@example.com"], ["soc@localhost"]],
}
DATASET_FIELDS: dict[str, list[Any]] = {
    "prefix": ["events/process/", "events/", "events/network/", "events/*/", "/events/"],
    "kms_key_arn": [
        None,
        f"arn:aws:kms:us-east-1:111111111111:key/{KEY_ID}",
        f"arn:aws:kms:us-west-2:111111111111:key/{KEY_ID}",
        f"arn:aws-cn:kms:us-east-1:111111111111:key/{KEY_ID}",
    ],
    "classification": ["public", "confidential", "restricted"],
    "contains": [[], ["pii"], ["hr"]],
}


@st.composite
def manifests(draw: st.DrawFn) -> dict[str, Any]:
    """The base manifest with a few near-valid edits, sometimes a second room."""
    data = copy.deepcopy(BASE_DATA)
    if draw(st.booleans()):
        second = copy.deepcopy(data["rooms"][0])
        second["name"] = "lateral-movement"
        second["account"] = draw(st.sampled_from(["222222222222", "333333333333"]))
        second["principals"] = [f"arn:aws:iam::{second['account']}:role/DataScientist"]
        data["rooms"].append(second)
    edits = draw(st.integers(min_value=0, max_value=3))
    for _ in range(edits):
        where = draw(st.sampled_from(["room", "monitoring", "dataset"]))
        if where == "dataset":
            index = draw(st.integers(0, len(data["datasets"]) - 1))
            field = draw(st.sampled_from(sorted(DATASET_FIELDS)))
            value = draw(st.sampled_from(DATASET_FIELDS[field]))
            data["datasets"][index][field] = value
            continue
        room = data["rooms"][draw(st.integers(0, len(data["rooms"]) - 1))]
        if where == "monitoring":
            field = draw(st.sampled_from(sorted(MONITORING_FIELDS)))
            room.setdefault("monitoring", {})[field] = draw(
                st.sampled_from(MONITORING_FIELDS[field])
            )
            continue
        field = draw(st.sampled_from(sorted(ROOM_FIELDS)))
        value = draw(st.sampled_from(ROOM_FIELDS[field]))
        if field == "expires":
            value = TODAY + dt.timedelta(days=value)
        if field == "account" and isinstance(value, str):
            room["principals"] = [f"arn:aws:iam::{value}:role/DataScientist"]
        room[field] = value
    return data


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=manifests())
def test_what_validate_accepts_synthesizes_and_what_it_refuses_the_app_refuses(
    data: dict[str, Any],
    context: dict[str, object],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "rooms.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    try:
        manifest = load_manifest(path, today=TODAY)
    except ManifestError as refused:
        event("refused")
        with pytest.raises(SystemExit) as exited:
            manifest_or_exit(path, baseline=Baseline(), today=TODAY)
        assert exited.value.code == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err
        assert all(message in err for message in refused.messages)
        return
    # Accepted: every construct takes the values (a ValueError here is a check the model lacks).
    event("accepted")
    app = build_app(manifest, app=App(context=context, outdir=str(tmp_path / "out")), nag=False)
    app.synth()


@settings(max_examples=100, deadline=None, derandomize=True)
@given(text=st.text(max_size=400) | st.text(alphabet="[]{}:-&*!? \n\t'\"ab0", max_size=200))
def test_any_text_is_a_manifest_error_at_worst(text: str) -> None:
    # Under libyaml's parser and under the pure Python one (the fallback without libyaml).
    for loader in {manifest_yaml.Loader, yaml.SafeLoader}:
        saved, manifest_yaml.Loader = manifest_yaml.Loader, loader
        try:
            parse_manifest(text, source="rooms.yaml", today=TODAY)
        except ManifestError as exc:
            assert all(m.startswith("rooms.yaml") for m in exc.messages)
        finally:
            manifest_yaml.Loader = saved


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    cut=st.integers(min_value=0, max_value=len(BASE)),
    insert=st.sampled_from(["[", "]", "{", ":", "- ", "&a ", "*a", "!!", "\t", "'", "\n  ", "?"]),
)
def test_broken_manifests_are_manifest_errors(cut: int, insert: str) -> None:
    text = BASE[:cut] + insert + BASE[cut:]
    try:
        parse_manifest(text, source="rooms.yaml", today=TODAY)
    except ManifestError as exc:
        assert all(m.startswith("rooms.yaml") for m in exc.messages)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(raw=st.binary(max_size=300))
def test_any_bytes_are_a_manifest_error_at_worst(raw: bytes, tmp_path_factory: Any) -> None:
    path = tmp_path_factory.mktemp("bytes") / "rooms.yaml"
    path.write_bytes(raw)
    try:
        load_manifest(path, today=TODAY)
    except ManifestError as exc:
        assert all(m.startswith(str(path)) for m in exc.messages)


def _variant(room_edits: dict[str, Any], monitoring: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(BASE_DATA)
    room = data["rooms"][0]
    for field, value in room_edits.items():
        if field == "expires":
            value = TODAY + dt.timedelta(days=value)
        if field == "account" and isinstance(value, str):
            room["principals"] = [f"arn:aws:iam::{value}:role/DataScientist"]
        room[field] = value
    if monitoring:
        room["monitoring"] = dict(monitoring)
    return data


def _accepts(data: dict[str, Any]) -> bool:
    try:
        parse_manifest(yaml.safe_dump(data, sort_keys=False), today=TODAY)
    except ManifestError:
        return False
    return True


def test_every_near_valid_value_the_check_accepts_synthesizes(
    context: dict[str, object], tmp_path: Path
) -> None:
    """A generator of our own, complete over the value tables above: every value the check
    accepts on its own goes into one synthesized app (rooms packed greedily, each room in its
    own account), so a construct refusing any of them fails this test."""
    pairs: list[tuple[str, str, Any]] = [
        ("room", field, value) for field, values in ROOM_FIELDS.items() for value in values
    ] + [
        ("monitoring", field, value)
        for field, values in MONITORING_FIELDS.items()
        for value in values
    ]
    accepted = [
        (where, field, value)
        for where, field, value in pairs
        if _accepts(
            _variant({field: value}, {}) if where == "room" else _variant({}, {field: value})
        )
    ]
    assert len(accepted) >= 30, accepted
    rooms: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def manifest_of(candidate: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
        data = copy.deepcopy(BASE_DATA)
        data["rooms"] = []
        for k, (edits, monitoring) in enumerate(candidate):
            room = _variant(
                {"name": f"room-{k:02d}", "account": f"{400000000000 + k:012d}", **edits},
                monitoring,
            )["rooms"][0]
            data["rooms"].append(room)
        return data

    for where, field, value in accepted:
        for k in range(len(rooms) + 1):
            trial = [(dict(e), dict(m)) for e, m in rooms]
            if k == len(trial):
                trial.append(({}, {}))
            edits, monitoring = trial[k]
            if (field in edits) if where == "room" else (field in monitoring):
                continue
            (edits if where == "room" else monitoring)[field] = value
            if _accepts(manifest_of(trial)):
                rooms = trial
                break
    manifest = parse_manifest(yaml.safe_dump(manifest_of(rooms), sort_keys=False), today=TODAY)
    app = build_app(manifest, app=App(context=context, outdir=str(tmp_path / "out")), nag=False)
    app.synth()
