"""Controls removed from a synthesized stack show up as gaps, and the command exits 1.

One fresh synth (``weakened_outdir``) with four escape hatches: trail log-file validation off
(MON-1), flow log of rejected traffic only (NET-5), an attached internet gateway (NET-1), the
scientist role without its permissions boundary (IAM-5). Smaller weakenings are made on a copy of
the example's templates (JSON edits), which costs no synthesis.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dataroom.cli import main
from dataroom.review import Review
from tests.conftest import EXAMPLE, TODAY
from tests.review.conftest import ROOM, review_of


def room_of(review: Review) -> dict[str, Any]:
    return next(r for r in review.review["rooms"] if r["name"] == ROOM)


@pytest.fixture(scope="module")
def weakened(weakened_outdir: Path) -> Review:
    return review_of(weakened_outdir)


def test_threat_map_shows_each_removed_control(weakened: Review) -> None:
    room = room_of(weakened)
    controls = room["controls"]
    for control in ("MON-1", "NET-1", "NET-5", "IAM-5"):
        assert controls[control]["status"] == "missing", control
    assert any("log file validation OFF" in m for m in controls["MON-1"]["missing"])
    assert any("internet gateway Leak" in m for m in controls["NET-1"]["missing"])
    assert any("REJECT traffic" in m for m in controls["NET-5"]["missing"])
    assert any(
        f"dataroom-{ROOM}-scientist has NO permissions boundary" in m
        for m in controls["IAM-5"]["missing"]
    )
    rows = {row["threat"]: row for row in room["threat_map"]}
    assert not rows["Tampering"]["covered"]  # MON-1 validation, IAM-5
    tampering = {c["control"]: c["status"] for c in rows["Tampering"]["controls"]}
    assert tampering["MON-1"] == "missing" and tampering["IAM-3"] == "present"
    assert not rows["Information disclosure"]["covered"]  # NET-1, NET-5
    assert not rows["Elevation of privilege"]["covered"]  # IAM-5
    assert rows["Spoofing"]["covered"] and rows["Denial of service"]["covered"]
    # Everything else is still found.
    assert controls["NET-6"]["status"] == "present" and controls["IAM-1"]["status"] == "present"
    assert any("VPCGatewayAttachment" not in g and "NET-1 missing" in g for g in weakened.gaps)
    assert weakened.exit_code == 1


def test_markdown_flags_the_missing_controls(weakened: Review) -> None:
    text = weakened.markdown
    assert "GAP(S)** (exit 1)" in text
    assert "| Tampering |" in text and "MON-1 (log file validation): **MISSING**" in text
    assert "Internet paths: **internet gateway Leak" in text


def test_command_exits_1_on_a_gap(
    weakened_outdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "review",
            "--assembly",
            str(weakened_outdir),
            "--manifest",
            str(EXAMPLE),
            "--out",
            str(tmp_path),
            "--today",
            TODAY.isoformat(),
        ]
    )
    assert code == 1
    out = capsys.readouterr().out
    assert "GAP room abnormal-process-exec: NET-1 missing" in out
    review = json.loads((tmp_path / "review.json").read_text())
    assert review["result"]["exit_code"] == 1
    assert (
        "NET-1"
        in json.loads((tmp_path / "evidence.json").read_text())["rooms"][0]["controls_missing"]
    )


# --- template edits: one detector each, without synthesis -------------------------------------


def _resources(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == kind]


def _read_role_policy(prod: dict[str, Any]) -> dict[str, Any]:
    (policy,) = _resources(prod, "AWS::IAM::Policy")
    return policy["Properties"]["PolicyDocument"]  # type: ignore[no-any-return]


def _read_role_trust(prod: dict[str, Any]) -> list[dict[str, Any]]:
    role = next(r for r in _resources(prod, "AWS::IAM::Role") if "RoleName" in r["Properties"])
    return role["Properties"]["AssumeRolePolicyDocument"]["Statement"]  # type: ignore[no-any-return]


def _drop_deny(room: dict[str, Any], prod: dict[str, Any]) -> None:
    doc = _read_role_policy(prod)
    doc["Statement"] = [s for s in doc["Statement"] if s.get("Sid") != "DenyEverythingButReads"]


def _drop_external_id(room: dict[str, Any], prod: dict[str, Any]) -> None:
    for statement in _read_role_trust(prod):
        statement["Condition"]["StringEquals"].pop("sts:ExternalId")


def _trust_the_account(room: dict[str, Any], prod: dict[str, Any]) -> None:
    for statement in _read_role_trust(prod):
        statement["Principal"]["AWS"] = "arn:aws:iam::222222222222:root"


def _open_s3_endpoint(room: dict[str, Any], prod: dict[str, Any]) -> None:
    endpoint = next(
        r
        for r in _resources(room, "AWS::EC2::VPCEndpoint")
        if r["Properties"]["VpcEndpointType"] == "Gateway"
    )
    endpoint["Properties"]["PolicyDocument"]["Statement"][0]["Resource"] = "*"


def _no_dns_firewall(room: dict[str, Any], prod: dict[str, Any]) -> None:
    room["Resources"] = {
        k: v
        for k, v in room["Resources"].items()
        if v["Type"] != "AWS::Route53Resolver::FirewallRuleGroupAssociation"
    }


def _no_restrict_default_sg(room: dict[str, Any], prod: dict[str, Any]) -> None:
    room["Resources"] = {
        k: v for k, v in room["Resources"].items() if v["Type"] != "Custom::VpcRestrictDefaultSG"
    }


def _unenforced_workgroup(room: dict[str, Any], prod: dict[str, Any]) -> None:
    (workgroup,) = _resources(room, "AWS::Athena::WorkGroup")
    workgroup["Properties"]["WorkGroupConfiguration"]["EnforceWorkGroupConfiguration"] = False


def _public_bucket(room: dict[str, Any], prod: dict[str, Any]) -> None:
    bucket = _resources(room, "AWS::S3::Bucket")[0]
    bucket["Properties"]["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] = False


def _no_key_rotation(room: dict[str, Any], prod: dict[str, Any]) -> None:
    (key,) = _resources(room, "AWS::KMS::Key")
    key["Properties"]["EnableKeyRotation"] = False


def _unrecorded_prefix(room: dict[str, Any], prod: dict[str, Any]) -> None:
    (trail,) = _resources(prod, "AWS::CloudTrail::Trail")
    resources = trail["Properties"]["EventSelectors"][0]["DataResources"][0]
    resources["Values"] = [v for v in resources["Values"] if "network" not in v]


def _interface_endpoint_without_private_dns(room: dict[str, Any], prod: dict[str, Any]) -> None:
    endpoint = next(
        r
        for r in _resources(room, "AWS::EC2::VPCEndpoint")
        if r["Properties"]["VpcEndpointType"] == "Interface"
        # one only NET-2 watches (the workbench's own endpoints are WBN-4's too)
        and str(r["Properties"]["ServiceName"]).endswith(".kms")
    )
    endpoint["Properties"]["PrivateDnsEnabled"] = False


EDITS: dict[str, tuple[Callable[[dict[str, Any], dict[str, Any]], None], str, str]] = {
    "deny removed": (_drop_deny, "IAM-3", "NO unconditional Deny"),
    "ExternalId removed": (_drop_external_id, "IAM-1", "ExternalId NOT required"),
    "account root trusted": (_trust_the_account, "IAM-1", "not a role of the room"),
    "S3 endpoint opened": (_open_s3_endpoint, "NET-3", "NEITHER a room bucket"),
    "DNS firewall removed": (_no_dns_firewall, "NET-6", "NOT found"),
    "default SG not stripped": (_no_restrict_default_sg, "NET-4", "NOT restricted"),
    "workgroup not enforced": (_unenforced_workgroup, "QRY-1", "NOT enforced"),
    "public bucket": (_public_bucket, "S3-3", "OFF: RestrictPublicBuckets"),
    "no key rotation": (_no_key_rotation, "S3-2", "rotation OFF"),
    "prefix not recorded": (_unrecorded_prefix, "MON-2", "events/network/: data events NOT"),
    "no private DNS": (_interface_endpoint_without_private_dns, "NET-2", "private DNS OFF"),
}


@pytest.mark.parametrize("name", list(EDITS))
def test_detector_reports_the_edited_template(
    name: str, example_outdir: Path, tmp_path: Path
) -> None:
    edit, control, message = EDITS[name]
    copy = tmp_path / "cdk.out"
    shutil.copytree(example_outdir, copy, ignore=shutil.ignore_patterns("asset.*"))
    room_file, prod_file = (
        copy / "DataRoomStack.template.json",
        copy / "ProductionAccessStack.template.json",
    )
    room, prod = json.loads(room_file.read_text()), json.loads(prod_file.read_text())
    edit(room, prod)
    room_file.write_text(json.dumps(room))
    prod_file.write_text(json.dumps(prod))

    review = review_of(copy)
    result = room_of(review)["controls"][control]
    assert result["status"] == "missing", result
    assert any(message in m for m in result["missing"]), result["missing"]
    assert review.exit_code == 1
    others = {c for c, r in room_of(review)["controls"].items() if r["status"] == "missing"}
    assert others == {control}, f"{name} must not disturb other detectors: {others}"


def test_a_room_moved_to_definition_still_holding_a_read_role_breaks_phase_gating(
    example_outdir: Path, tmp_path: Path
) -> None:
    manifest = tmp_path / "rooms.yaml"
    manifest.write_text(EXAMPLE.read_text().replace("phase: exploration", "phase: definition"))
    review = review_of(example_outdir, manifest=manifest)
    result = room_of(review)["controls"]["IAM-6"]
    assert result["status"] == "missing"
    assert any("must not read production" in m and "FOUND" in m for m in result["missing"])
