"""Every bad manifest of the table ends the same way everywhere: exit 1, ``file:line: path: ...``.

Each case goes through the library (:func:`load_manifest`), ``dataroom validate`` (its ``main``,
in process) and the CDK app's manifest gate (:func:`dataroom.application.manifest_or_exit`, what
``app.py`` runs before any construct); a few go through ``python app.py`` in a subprocess with the
context the ``cdk`` CLI passes (``CDK_CONTEXT_JSON``), which is ``cdk synth -c manifest=...``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dataroom import cli
from dataroom.application import manifest_or_exit
from dataroom.baseline import Baseline
from dataroom.manifest import ManifestError, load_manifest, parse_manifest
from tests.conftest import ROOT
from tests.manifest.cases import BASE, CASES, SECRET, TODAY, Case

BASELINE = ROOT / "examples" / "baseline.yaml"
#: The longest message a case may produce: every echoed value is shortened.
MAX_MESSAGE = 700


def test_the_base_manifest_is_valid() -> None:
    manifest = parse_manifest(BASE, source="rooms.yaml", today=TODAY)
    assert manifest.rooms[0].name == "abnormal-process-exec"


def _expected(case: Case, path: Path) -> str:
    return f"{path}:{case.line()}: " + (f"{case.path}: " if case.path else "")


def _matching(case: Case, path: Path, lines: list[str]) -> list[str]:
    prefix = _expected(case, path)
    return [line for line in lines if line.startswith(prefix) and case.fragment in line]


def _check_output(case: Case, path: Path, text: str) -> None:
    assert "Traceback" not in text and "jsii" not in text.lower(), text[-2000:]
    assert SECRET not in text and SECRET.upper() not in text
    assert _matching(case, path, text.splitlines()), (_expected(case, path), text[-3000:])
    assert max(len(line) for line in text.splitlines()) <= MAX_MESSAGE


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.klass}:{c.id}")
def test_bad_manifest(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "rooms.yaml"
    path.write_text(case.text(), encoding="utf-8")

    with pytest.raises(ManifestError) as info:
        load_manifest(path, today=TODAY)
    assert _matching(case, path, info.value.messages), (_expected(case, path), info.value.messages)
    assert all(":" in m.removeprefix(str(path))[1:] for m in info.value.messages)

    code = cli.main(
        ["validate", str(path), "--today", TODAY.isoformat(), "--baseline", str(BASELINE)]
    )
    out = capsys.readouterr()
    assert code == 1 and not out.out
    _check_output(case, path, out.err)

    with pytest.raises(SystemExit) as exited:
        manifest_or_exit(path, baseline=Baseline(), today=TODAY)
    assert exited.value.code == 1
    _check_output(case, path, capsys.readouterr().err)


def test_every_class_has_several_cases() -> None:
    classes: dict[str, int] = {}
    for case in CASES:
        classes[case.klass] = classes.get(case.klass, 0) + 1
    assert len(classes) == 10 and min(classes.values()) >= 2, classes


def test_bytes_that_are_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "rooms.yaml"
    raw = BASE.encode().replace(b"Cluster analysis", b"Cluster \xff\xfenalysis")
    path.write_bytes(raw)
    with pytest.raises(ManifestError) as info:
        load_manifest(path, today=TODAY)
    assert info.value.messages == [
        f"{path}:24: byte 0xff is not UTF-8: save the manifest as UTF-8 text"
    ]
    assert cli.main(["validate", str(path), "--baseline", str(BASELINE)]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_a_huge_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "rooms.yaml"
    with path.open("w") as handle:
        handle.write(BASE)
        handle.write(("# " + "x" * 1022 + "\n") * (17 * 1024))
    with pytest.raises(ManifestError, match="larger than 16 MiB"):
        load_manifest(path, today=TODAY)


def test_an_empty_file_and_a_list_are_not_manifests() -> None:
    for text in ("", "- a\n- b\n", "just text\n"):
        with pytest.raises(ManifestError, match="expected a mapping"):
            parse_manifest(text, source="rooms.yaml", today=TODAY)


def test_syntax_errors_name_the_file_not_a_unicode_string(tmp_path: Path) -> None:
    path = tmp_path / "rooms.yaml"
    path.write_text("production: {account: '1'\nrooms: [\n")
    with pytest.raises(ManifestError) as info:
        load_manifest(path, today=TODAY)
    (message,) = info.value.messages
    assert message.startswith(f"{path}:") and "not valid YAML" in message
    assert "<unicode string>" not in str(info.value)


def test_an_unquoted_account_without_leading_zero_is_still_an_account() -> None:
    text = BASE.replace('account: "222222222222"', "account: 222222222222")
    assert parse_manifest(text, today=TODAY).rooms[0].account == "222222222222"


def test_overlapping_prefixes_with_the_same_labels_are_accepted() -> None:
    text = BASE.replace(
        "rooms:\n",
        "  - name: all-process-events\n    bucket: prod-telemetry\n    prefix: events/\n"
        "    classification: confidential\n    tenancy: multi-tenant\n"
        "    contains: [pii, telemetry]\n"
        "  - name: network-flows-v2\n    bucket: prod-telemetry\n    prefix: events/network/v2/\n"
        "    classification: confidential\n    tenancy: multi-tenant\n    contains: [telemetry]\n"
        "rooms:\n",
    )
    with pytest.raises(ManifestError) as info:
        parse_manifest(text, source="rooms.yaml", today=TODAY)
    # events/ carries pii, events/network/ does not: only the network entries are refused.
    assert sorted(m.split(": ")[1] for m in info.value.messages) == [
        "datasets[1].prefix",
        "datasets[3].prefix",
    ]
    same = text.replace(
        "    contains: [pii, telemetry]\n  - name: network-flows-v2",
        "    contains: [telemetry]\n  - name: network-flows-v2",
    )
    same = same.replace("contains: [pii, telemetry]", "contains: [telemetry]")
    assert len(parse_manifest(same, today=TODAY).datasets) == 4


def test_rooms_that_adopt_the_singletons_may_share_an_account() -> None:
    from tests.manifest.cases import SECOND_ROOM

    adopted = SECOND_ROOM + (
        "    monitoring: {existing_guardduty_detector_id: "
        + "a" * 32
        + ", existing_config_recorder: true}\n"
    )
    assert len(parse_manifest(BASE + adopted, today=TODAY).rooms) == 2


def test_the_duration_limit_comes_from_the_baseline() -> None:
    text = BASE.replace("expires: 2027-03-31", "expires: 2027-09-30")
    with pytest.raises(ManifestError, match="at most 180 days"):
        parse_manifest(text, today=TODAY)
    assert parse_manifest(text, today=TODAY, max_room_days=365).rooms[0].expires.month == 9


#: Cases run through ``python app.py`` as ``cdk synth -c manifest=PATH`` runs it (no date-relative
#: ones: the subprocess judges expiry against the real today).
APP_CASES = ("room-principals-twice", "alias-bomb", "octal-account-id")


@pytest.mark.parametrize("case", [c for c in CASES if c.id in APP_CASES], ids=lambda c: c.id)
def test_the_cdk_app_refuses_with_the_same_message(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "rooms.yaml"
    path.write_text(case.text(), encoding="utf-8")
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps({"manifest": str(path)}),
        "CDK_OUTDIR": str(tmp_path / "cdk.out"),
    }
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert "nothing was synthesized" in result.stderr
    _check_output(case, path, result.stderr)
