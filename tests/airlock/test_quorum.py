"""The two-person rule, end to end: moto executes the airlock's state machine.

Each test writes rows as the people would (requester, approvers), plays GuardDuty's part (tags),
and reads what the machine recorded and released. Decisions written before the machine starts
are there at its first read, so "not yet approved" is judged after it has read them.
"""

from __future__ import annotations

import base64
import hashlib
import json

from dataroom.airlock.records import ExportObject
from tests.airlock.conftest import NAMES, Airlock

ALICE, BOB, CAROL = "alice@example.com", "bob@example.com", "carol@example.com"
MALLORY = "mallory@example.com"  # a room principal who is not a manifest approver


def _digest(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


def test_two_distinct_approvers_release_the_pinned_versions(airlock: Airlock) -> None:
    v1 = airlock.put_result("out/clusters.csv", b"cluster,size\n1,10\n")
    v2 = airlock.put_result("out/model.json", b'{"k": 3}')
    request_id, execution = airlock.request(
        [ExportObject("out/clusters.csv", v1), ExportObject("out/model.json", v2)],
        decisions=((BOB, "approve"), (CAROL, "approve")),
    )
    # The object changes after the request: the pinned version is what leaves.
    airlock.put_result("out/clusters.csv", b"cluster,size\n1,10\nSECRET\n")
    airlock.wait_for(request_id, "Scanning", execution)
    airlock.scan(request_id)

    assert airlock.finish(execution)["status"] == "SUCCEEDED"
    assert airlock.states(request_id) == [
        "Submitted",
        "Scanning",
        "InReview",
        "Approved",
        "Released",
    ]
    assert airlock.exported(request_id, "out/clusters.csv") == b"cluster,size\n1,10\n"
    released = airlock.state_row(request_id, "Released")
    assert sorted(json.loads(released["approvers"])) == [BOB, CAROL]
    digests = {o["key"]: o["sha256"] for o in json.loads(released["objects"])}
    assert digests == {
        "out/clusters.csv": _digest(b"cluster,size\n1,10\n"),
        "out/model.json": _digest(b'{"k": 3}'),
    }


def test_the_requesters_approval_never_counts(airlock: Airlock) -> None:
    v = airlock.put_result("out/a.csv", b"a")
    # alice is a manifest approver, but she asked: only bob's approval counts.
    request_id, execution = airlock.request(
        [ExportObject("out/a.csv", v)], decisions=((ALICE, "approve"), (BOB, "approve"))
    )
    airlock.wait_for(request_id, "Scanning", execution)
    airlock.scan(request_id)
    airlock.wait_for(request_id, "InReview", execution)
    airlock.wait_entered(execution, "ReadDecisions", 3)
    assert "Approved" not in airlock.states(request_id)

    airlock.decide(request_id, CAROL, "approve")
    assert airlock.finish(execution)["status"] == "SUCCEEDED"
    released = airlock.state_row(request_id, "Released")
    assert sorted(json.loads(released["approvers"])) == [BOB, CAROL]


def test_one_approver_twice_and_a_stranger_count_once_and_never(airlock: Airlock) -> None:
    v = airlock.put_result("out/b.csv", b"b")
    request_id, execution = airlock.request([ExportObject("out/b.csv", v)])
    airlock.decide(request_id, BOB, "approve")
    # bob writes a second decision row of his own; mallory (not an approver) approves too.
    airlock.decide(request_id, BOB, "approve", sk=f"decision#{request_id}#again")
    airlock.decide(request_id, MALLORY, "approve")
    airlock.wait_for(request_id, "Scanning", execution)
    airlock.scan(request_id)
    airlock.wait_for(request_id, "InReview", execution)
    airlock.wait_entered(execution, "ReadDecisions", 3)
    assert "Approved" not in airlock.states(request_id)
    assert airlock.export_keys() == [k for k in airlock.export_keys() if request_id not in k]

    airlock.decide(request_id, CAROL, "approve")
    assert airlock.finish(execution)["status"] == "SUCCEEDED"
    assert airlock.states(request_id)[-1] == "Released"


def test_a_rejection_after_one_approval_ends_the_request(airlock: Airlock) -> None:
    v = airlock.put_result("out/c.csv", b"c")
    request_id, execution = airlock.request(
        [ExportObject("out/c.csv", v)], decisions=((BOB, "approve"), (CAROL, "reject"))
    )
    airlock.wait_for(request_id, "Scanning", execution)
    airlock.scan(request_id)
    assert airlock.finish(execution)["status"] == "SUCCEEDED"
    assert airlock.states(request_id) == ["Submitted", "Scanning", "InReview", "Rejected"]
    assert json.loads(airlock.state_row(request_id, "Rejected")["rejecters"]) == [CAROL]
    assert not [k for k in airlock.export_keys() if k.startswith(request_id)]


def test_a_threat_blocks_the_request_whatever_the_approvals(airlock: Airlock) -> None:
    v = airlock.put_result("out/d.bin", b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR")
    request_id, execution = airlock.request(
        [ExportObject("out/d.bin", v)], decisions=((BOB, "approve"), (CAROL, "approve"))
    )
    airlock.wait_for(request_id, "Scanning", execution)
    airlock.scan(request_id, "THREATS_FOUND")
    assert airlock.finish(execution)["status"] == "SUCCEEDED"
    assert airlock.states(request_id) == ["Submitted", "Scanning", "Blocked"]
    assert not [k for k in airlock.export_keys() if k.startswith(request_id)]


def test_a_request_without_quorum_expires(airlock: Airlock) -> None:
    v = airlock.put_result("out/e.csv", b"e")
    request_id, execution = airlock.request(
        [ExportObject("out/e.csv", v)],
        decisions=((BOB, "approve"),),
        poll_seconds=1,
        ttl_seconds=4,
    )
    airlock.wait_for(request_id, "Scanning", execution)
    airlock.scan(request_id)
    assert airlock.finish(execution)["status"] == "SUCCEEDED"
    assert airlock.states(request_id) == ["Submitted", "Scanning", "InReview", "Expired"]
    assert not [k for k in airlock.export_keys() if k.startswith(request_id)]


def test_a_stale_clean_tag_is_not_carried_into_review(airlock: Airlock) -> None:
    # The requester tags their own result "clean": the review copy must start untagged.
    v = airlock.put_result("out/f.csv", b"f", Tagging="GuardDutyMalwareScanStatus=NO_THREATS_FOUND")
    request_id, execution = airlock.request(
        [ExportObject("out/f.csv", v)],
        decisions=((BOB, "approve"), (CAROL, "approve")),
        poll_seconds=1,
        ttl_seconds=3,
    )
    airlock.wait_for(request_id, "Scanning", execution)
    (version,) = airlock.review_versions(request_id)
    tags = airlock.s3.get_object_tagging(
        Bucket=NAMES["ReviewBucket"], Key=version["Key"], VersionId=version["VersionId"]
    )["TagSet"]
    assert tags == []
    assert airlock.finish(execution)["status"] == "SUCCEEDED"
    assert airlock.states(request_id) == ["Submitted", "Scanning", "Expired"]


def test_a_review_copy_changed_after_the_scan_is_not_what_leaves(airlock: Airlock) -> None:
    v = airlock.put_result("out/g.csv", b"scanned")
    request_id, execution = airlock.request([ExportObject("out/g.csv", v)])
    airlock.wait_for(request_id, "Scanning", execution)
    airlock.scan(request_id)
    airlock.wait_for(request_id, "InReview", execution)
    # Someone slips a new version into the review bucket after the scan (IAM forbids it; here
    # nothing does): the release copies the scanned version id, not the latest.
    airlock.s3.put_object(Bucket=NAMES["ReviewBucket"], Key=f"{request_id}/out/g.csv", Body=b"evil")
    airlock.decide(request_id, BOB, "approve")
    airlock.decide(request_id, CAROL, "approve")
    assert airlock.finish(execution)["status"] == "SUCCEEDED"
    assert airlock.exported(request_id, "out/g.csv") == b"scanned"
