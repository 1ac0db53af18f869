"""The manifest is validated before any construct is built, with messages a person can act on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dataroom.manifest import ManifestError, Phase, load_manifest, parse_manifest
from tests.conftest import EXAMPLE, ROOT, TODAY

BASE = yaml.safe_load(EXAMPLE.read_text())


def manifest_text(**edits: object) -> str:
    """The example with dotted-path edits, e.g. ``{"rooms.0.account": "12345"}``."""
    data = yaml.safe_load(EXAMPLE.read_text())
    for path, value in edits.items():
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        key = int(last) if last.isdigit() else last
        if value is _DELETE:
            del node[key]
        else:
            node[key] = value
    return yaml.safe_dump(data, sort_keys=False)


_DELETE = object()


def errors_of(text: str) -> list[str]:
    with pytest.raises(ManifestError) as info:
        parse_manifest(text, source="rooms.yaml", today=TODAY)
    return info.value.messages


def test_example_is_valid() -> None:
    manifest = load_manifest(EXAMPLE, today=TODAY)
    room = manifest.rooms[0]
    assert room.phase is Phase.EXPLORATION
    assert room.reads_production
    assert [d.name for d in manifest.room_datasets(room)] == ["process-events", "network-flows"]


def test_models_are_frozen(example_manifest) -> None:
    with pytest.raises(Exception, match="frozen"):
        example_manifest.rooms[0].phase = Phase.PRODUCTION_B  # type: ignore[misc]


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        (
            {"rooms.0.account": "12345"},
            "rooms[0].account: '12345' is not a 12-digit AWS account id",
        ),
        (
            {"production.account": "11111111111a"},
            "production.account: '11111111111a' is not a 12-digit",
        ),
        ({"production.region": "us-east"}, "production.region: 'us-east' is not an AWS region"),
        ({"production.organization_id": "org-1"}, "production.organization_id: 'org-1' is not"),
        (
            {"datasets.0.bucket": "Prod_Telemetry"},
            "datasets[0].bucket: 'Prod_Telemetry' is not a valid S3 bucket name",
        ),
        ({"datasets.0.bucket": "192.168.1.1"}, "not formatted as an IP address"),
        ({"datasets.0.prefix": "events/*"}, "datasets[0].prefix: 'events/*' contains a wildcard"),
        (
            {"datasets.0.prefix": "/events/"},
            "datasets[0].prefix: '/events/' is not an S3 key prefix",
        ),
        (
            {"datasets.0.kms_key_arn": "alias/prod"},
            "datasets[0].kms_key_arn: 'alias/prod' is not a KMS key ARN",
        ),
        (
            {
                "datasets.0.kms_key_arn": "arn:aws:kms:us-east-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
            },
            "expected the production account 111111111111",
        ),
        (
            {"datasets.0.classification": "secret"},
            "datasets[0].classification: 'secret' is not one of",
        ),
        ({"rooms.0.name": "Abnormal_Exec"}, "rooms[0].name: 'Abnormal_Exec' is not a room name"),
        ({"rooms.0.name": "a" * 33}, "is not a room name: 3-32 characters"),
        ({"rooms.0.phase": "explore"}, "rooms[0].phase: 'explore' is not one of 'definition'"),
        ({"rooms.0.expires": "2027-02-30"}, "rooms[0].expires:"),
        ({"rooms.0.expires": 20270331}, "rooms[0].expires: 20270331 is not a date"),
        (
            {"rooms.0.principals": ["arn:aws:iam::222222222222:root"]},
            "rooms[0].principals[0]: 'arn:aws:iam::222222222222:root' is not an IAM role ARN",
        ),
        ({"rooms.0.principals": ["*"]}, "rooms[0].principals[0]: '*' is not an IAM role ARN"),
        (
            {"rooms.0.principals": ["arn:aws:iam::333333333333:role/X"]},
            "must be roles of the room's own account 222222222222",
        ),
        ({"rooms.0.principals": []}, "rooms[0].principals:"),
        ({"rooms.0.owner": "scientist"}, "rooms[0].owner: 'scientist' is not an e-mail address"),
        ({"rooms.0.ticket": "sec"}, "rooms[0].ticket: 'sec' is not a ticket id"),
        ({"rooms.0.query_limit_gb": 0}, "rooms[0].query_limit_gb:"),
        (
            {"rooms.0.vpc_cidr": "8.8.8.0/24"},
            "rooms[0].vpc_cidr: '8.8.8.0/24' is not a private IPv4 block",
        ),
        (
            {"rooms.0.datasets.0.justification": "..."},
            "rooms[0].datasets[0].justification: '...' is not a real statement",
        ),
        (
            {"rooms.0.datasets.0.name": "payroll"},
            "rooms[0].datasets[0].name: 'payroll' is not a dataset of the catalog",
        ),
        (
            {"rooms.0.expires": "2026-01-01"},
            "rooms[0].expires: 2026-01-01 is in the past: an expired room grants nothing",
        ),
        ({"rooms.0.colour": "blue"}, "rooms[0].colour: is not a known field"),
        ({"rooms.0.hypothesis": _DELETE}, "rooms[0].hypothesis: is required"),
    ],
)
def test_bad_input_names_file_line_path_and_expectation(
    edits: dict[str, object], expected: str
) -> None:
    messages = errors_of(manifest_text(**edits))
    assert any(expected in m for m in messages), messages
    assert all(m.startswith("rooms.yaml:") for m in messages)
    assert all(m.split(":")[1].strip().isdigit() for m in messages), "every message names its line"


def test_unique_names() -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["rooms"].append(dict(data["rooms"][0]))
    data["datasets"].append(dict(data["datasets"][0]))
    messages = errors_of(yaml.safe_dump(data))
    assert any(
        "rooms[1].name: 'abnormal-process-exec' is already used by rooms[0]" in m for m in messages
    )
    assert any(
        "datasets[2].name: 'process-events' is already used by datasets[0]" in m for m in messages
    )


def test_all_errors_at_once_across_sections() -> None:
    messages = errors_of(
        manifest_text(
            **{
                "production.account": "1",
                "datasets.1.bucket": "B",
                "rooms.0.ticket": "x",
            }
        )
    )
    assert len(messages) == 3
    assert [m.split(": ")[1] for m in messages] == [
        "production.account",
        "datasets[1].bucket",
        "rooms[0].ticket",
    ]


def test_expiry_only_matters_for_data_phases() -> None:
    text = manifest_text(**{"rooms.0.expires": "2026-01-01", "rooms.0.phase": "definition"})
    manifest = parse_manifest(text, today=TODAY)
    assert not manifest.rooms[0].reads_production


def test_expiry_is_judged_against_today() -> None:
    text = manifest_text(**{"rooms.0.expires": "2026-11-27"})
    with pytest.raises(ManifestError, match="is in the past"):
        parse_manifest(text, today=TODAY)
    assert parse_manifest(text, today=TODAY.replace(day=27)).rooms[0].expires.day == 27


def test_single_tenant_room_cannot_read_multi_tenant_data() -> None:
    messages = errors_of(manifest_text(**{"rooms.0.tenancy": "single-tenant"}))
    assert any(
        "room 'abnormal-process-exec' is single-tenant but dataset 'process-events' is "
        "multi-tenant" in m
        for m in messages
    )


def test_mixing_classifications_needs_justification_and_security_approver() -> None:
    text = manifest_text(
        **{
            "datasets.1.classification": "internal",
            "rooms.0.approvers": ["manager@example.com", "data-protection@example.com"],
        }
    )
    messages = errors_of(text)
    assert any(
        "rooms[0].mixing_justification: room 'abnormal-process-exec' mixes classifications "
        "['confidential', 'internal']" in m
        for m in messages
    ), messages
    assert any(
        "rooms[0].approvers:" in m and "expected at least one security approver" in m
        for m in messages
    )
    fixed = manifest_text(
        **{
            "datasets.1.classification": "internal",
            "rooms.0.mixing_justification": "Both are needed to label the clusters.",
        }
    )
    assert parse_manifest(fixed, today=TODAY).rooms[0].mixing_justification


@pytest.mark.parametrize(
    "edit",
    [
        {"datasets.0.contains": ["hr"]},
        {"datasets.0.contains": ["phi"]},
        {"datasets.0.classification": "restricted", "datasets.1.classification": "restricted"},
    ],
)
def test_sensitive_data_alone_needs_justification(edit: dict[str, object]) -> None:
    messages = errors_of(manifest_text(**edit))
    assert any("reads hr/phi/restricted data (process-events" in m for m in messages), messages


def test_yaml_syntax_error_is_reported_with_line() -> None:
    messages = errors_of("production: {account: '1'\nrooms: [")
    assert messages[0].startswith("rooms.yaml:") and "not valid YAML" in messages[0]


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="cannot read the manifest"):
        load_manifest(tmp_path / "missing.yaml")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dataroom.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_validate_command_accepts_the_example() -> None:
    result = _cli("validate", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.count("\n") == 1
        and "valid: 1 room(s): abnormal-process-exec" in result.stdout
    )


def test_validate_command_lists_every_problem_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "rooms.yaml"
    bad.write_text(manifest_text(**{"rooms.0.account": "12345", "datasets.0.bucket": "B"}))
    result = _cli("validate", str(bad))
    assert result.returncode == 1
    assert "rooms[0].account: '12345' is not a 12-digit AWS account id" in result.stderr
    assert "datasets[0].bucket: 'B' is not a valid S3 bucket name" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
