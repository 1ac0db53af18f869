"""The airlock's state machine (EXP-1) as Amazon States Language, built in plain Python.

jsii-free: the construct (``dataroom/constructs/airlock.py``) hands this definition to Step
Functions with CloudFormation substitutions, and the tests hand the very same definition to moto's
Step Functions interpreter with concrete names. Every task is a direct service integration
(DynamoDB ``getItem``/``putItem``, SDK integrations for DynamoDB ``query`` and S3
``copyObject``/``getObjectTagging``): no Lambda function, so moto can execute the whole flow.

The flow, each state recorded as an append-only row of the airlock table::

    Submitted -> Scanning -> Blocked
                          -> InReview -> Rejected | Expired
                                      -> Approved -> Released

Humans never hold task tokens: the machine polls (a ``Wait`` state, then a read) for the scan
tags GuardDuty writes and for the decision rows approvers write, and gives up after the request's
time to live. Quorum is computed here, not trusted from anyone: decisions are the rows of the
request in the table; a decision counts only when its row's partition (the writer's own
SourceIdentity, enforced by IAM) is one of the manifest's approvers and is not the requester's;
approvals count once per approver; any counted rejection ends the request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "APPROVE",
    "CLEAN",
    "DECISION_PREFIX",
    "REJECT",
    "REQUEST_PREFIX",
    "SCAN_TAG",
    "STATES",
    "SUBSTITUTIONS",
    "definition",
    "render",
]

#: The tag GuardDuty Malware Protection for S3 writes on every object version it scans.
SCAN_TAG = "GuardDutyMalwareScanStatus"
#: The tag value of a version scanned clean.
CLEAN = "NO_THREATS_FOUND"
#: Sort-key prefixes of the rows people write in their own partition.
REQUEST_PREFIX = "request#"
DECISION_PREFIX = "decision#"
#: Partition-key prefix of the rows only the state machine writes (``#`` cannot occur in a
#: SourceIdentity, so no person's partition can ever collide with one of these).
PIPELINE_PREFIX = "airlock#"
APPROVE = "approve"
#: Stands for "no identity" in the vote lists; shorter than any SourceIdentity (2..64).
NOBODY = "#"
REJECT = "reject"
#: The global secondary index that gathers every row of one request.
BY_REQUEST_INDEX = "ByRequest"
#: The recorded states, in order; the number is the row's sort key (``state#NN#Name``).
STATES: dict[str, int] = {
    "Submitted": 1,
    "Scanning": 2,
    "InReview": 3,
    "Approved": 4,
    "Released": 5,
    "Blocked": 9,
    "Rejected": 9,
    "Expired": 9,
    "Failed": 9,
}
TERMINAL = ("Released", "Blocked", "Rejected", "Expired", "Failed")
#: CloudFormation substitutions the definition expects (``${Name}`` placeholders).
SUBSTITUTIONS = ("Table", "ResultsBucket", "ReviewBucket", "ExportBucket", "ReleaseRoleArn")

_DDB = "arn:aws:states:::dynamodb"
_SDK = "arn:aws:states:::aws-sdk"


def _record(state: str, next_state: str | None, extra: Mapping[str, Any] | None = None) -> Any:
    """A putItem of the row that says the request entered ``state`` (never overwritten)."""
    item: dict[str, Any] = {
        "pk": {"S.$": f"States.Format('{PIPELINE_PREFIX}{{}}', $.request_id)"},
        "sk": {"S": f"state#{STATES[state]:02d}#{state}"},
        "request_id": {"S.$": "$.request_id"},
        "kind": {"S": "state"},
        "state": {"S": state},
        "requester": {"S.$": "$.requester"},
        "at": {"S.$": "$$.State.EnteredTime"},
        "execution": {"S.$": "$$.Execution.Id"},
    }
    item.update(extra or {})
    task: dict[str, Any] = {
        "Type": "Task",
        "Resource": f"{_DDB}:putItem",
        "Parameters": {
            "TableName": "${Table}",
            "Item": item,
            "ConditionExpression": "attribute_not_exists(pk)",
        },
        "ResultPath": None,
    }
    if next_state is None:
        task["End"] = True
    else:
        task["Next"] = next_state
    return task


def _tick(name: str, expired: str, then: str, max_polls: int) -> dict[str, Any]:
    """Two states: count one poll, and expire the request when its time to live is used up."""
    return {
        name: {
            "Type": "Pass",
            "Parameters": {"polls.$": "States.MathAdd($.clock.polls, 1)"},
            "ResultPath": "$.clock",
            "Next": f"{name}Due",
        },
        f"{name}Due": {
            "Type": "Choice",
            "Choices": [
                {
                    "Variable": "$.clock.polls",
                    "NumericGreaterThanEquals": max_polls,
                    "Next": expired,
                }
            ],
            "Default": then,
        },
    }


def _copy_to_review() -> dict[str, Any]:
    return {
        "Type": "Map",
        "ItemsPath": "$.request.objects.L",
        "Parameters": {
            "request_id.$": "$.request_id",
            "key.$": "$$.Map.Item.Value.M.key.S",
            "version_id.$": "$$.Map.Item.Value.M.version_id.S",
        },
        "MaxConcurrency": 10,
        "Iterator": {
            "StartAt": "CopyPinnedVersion",
            "States": {
                "CopyPinnedVersion": {
                    "Type": "Task",
                    "Resource": f"{_SDK}:s3:copyObject",
                    "Parameters": {
                        "Bucket": "${ReviewBucket}",
                        "Key.$": "States.Format('{}/{}', $.request_id, $.key)",
                        "CopySource.$": (
                            "States.Format('${ResultsBucket}/{}?versionId={}', $.key, $.version_id)"
                        ),
                        "ChecksumAlgorithm": "SHA256",
                        # No tag of the source comes along: a requester could have tagged
                        # their own result "NO_THREATS_FOUND" to skip the scan.
                        "TaggingDirective": "REPLACE",
                    },
                    "ResultSelector": {
                        "review_version_id.$": "$.VersionId",
                        "sha256.$": "$.CopyObjectResult.ChecksumSHA256",
                    },
                    "ResultPath": "$.copy",
                    "Next": "Pinned",
                },
                "Pinned": {
                    "Type": "Pass",
                    "Parameters": {
                        "key.$": "$.key",
                        "version_id.$": "$.version_id",
                        "review_version_id.$": "$.copy.review_version_id",
                        "sha256.$": "$.copy.sha256",
                    },
                    "End": True,
                },
            },
        },
        "ResultPath": "$.objects",
        "Next": "RecordScanning",
    }


def _scan_states(poll_seconds: int, max_polls: int) -> dict[str, Any]:
    return {
        "WaitForScan": {"Type": "Wait", "Seconds": poll_seconds, "Next": "ReadScanTags"},
        "ReadScanTags": {
            "Type": "Map",
            "ItemsPath": "$.objects",
            "Parameters": {
                "request_id.$": "$.request_id",
                "key.$": "$$.Map.Item.Value.key",
                "review_version_id.$": "$$.Map.Item.Value.review_version_id",
            },
            "MaxConcurrency": 10,
            "Iterator": {
                "StartAt": "GetScanTag",
                "States": {
                    "GetScanTag": {
                        "Type": "Task",
                        "Resource": f"{_SDK}:s3:getObjectTagging",
                        "Parameters": {
                            "Bucket": "${ReviewBucket}",
                            "Key.$": "States.Format('{}/{}', $.request_id, $.key)",
                            "VersionId.$": "$.review_version_id",
                        },
                        "ResultSelector": {"tags.$": "$.TagSet"},
                        "Next": "ReadTags",
                    },
                    # A path that matches nothing is an error in Step Functions, so each tag
                    # is classified on its own rather than filtered.
                    "ReadTags": {
                        "Type": "Map",
                        "ItemsPath": "$.tags",
                        "Iterator": {
                            "StartAt": "ReadTag",
                            "States": {
                                "ReadTag": {
                                    "Type": "Choice",
                                    "Choices": [
                                        {
                                            "And": [
                                                {"Variable": "$.Key", "StringEquals": SCAN_TAG},
                                                {"Variable": "$.Value", "StringEquals": CLEAN},
                                            ],
                                            "Next": "CleanTag",
                                        },
                                        {
                                            "Variable": "$.Key",
                                            "StringEquals": SCAN_TAG,
                                            "Next": "ThreatTag",
                                        },
                                    ],
                                    "Default": "OtherTag",
                                },
                                "CleanTag": {"Type": "Pass", "Result": "clean", "End": True},
                                "ThreatTag": {"Type": "Pass", "Result": "threat", "End": True},
                                "OtherTag": {"Type": "Pass", "Result": "other", "End": True},
                            },
                        },
                        "ResultSelector": {
                            "clean.$": "States.ArrayContains($, 'clean')",
                            "threat.$": "States.ArrayContains($, 'threat')",
                        },
                        "Next": "Classify",
                    },
                    "Classify": {
                        "Type": "Choice",
                        "Choices": [
                            {"Variable": "$.threat", "BooleanEquals": True, "Next": "Threat"},
                            {"Variable": "$.clean", "BooleanEquals": True, "Next": "Clean"},
                        ],
                        "Default": "Pending",
                    },
                    "Pending": {"Type": "Pass", "Result": "pending", "End": True},
                    "Clean": {"Type": "Pass", "Result": "clean", "End": True},
                    "Threat": {"Type": "Pass", "Result": "threat", "End": True},
                },
            },
            "ResultPath": "$.scan",
            "Next": "SummarizeScan",
        },
        "SummarizeScan": {
            "Type": "Pass",
            "Parameters": {
                "threat.$": "States.ArrayContains($.scan, 'threat')",
                "pending.$": "States.ArrayContains($.scan, 'pending')",
            },
            "ResultPath": "$.scan",
            "Next": "ScanVerdict",
        },
        "ScanVerdict": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.scan.threat", "BooleanEquals": True, "Next": "RecordBlocked"},
                {"Variable": "$.scan.pending", "BooleanEquals": True, "Next": "ScanTick"},
            ],
            "Default": "RecordInReview",
        },
        **_tick("ScanTick", "RecordExpired", "WaitForScan", max_polls),
    }


def _review_states(
    approvers: Sequence[str], quorum: int, poll_seconds: int, max_polls: int
) -> dict[str, Any]:
    is_approver: dict[str, Any] = {
        "Or": [{"Variable": "$.who", "StringEquals": a} for a in approvers]
    }
    return {
        "WaitForDecisions": {"Type": "Wait", "Seconds": poll_seconds, "Next": "ReadDecisions"},
        "ReadDecisions": {
            "Type": "Task",
            "Resource": f"{_SDK}:dynamodb:query",
            "Parameters": {
                "TableName": "${Table}",
                "IndexName": BY_REQUEST_INDEX,
                "KeyConditionExpression": "request_id = :id AND begins_with(sk, :decision)",
                "ExpressionAttributeValues": {
                    ":id": {"S.$": "$.request_id"},
                    ":decision": {"S": DECISION_PREFIX},
                },
            },
            "ResultSelector": {"items.$": "$.Items"},
            "ResultPath": "$.decisions",
            "Next": "AnyDecision",
        },
        "AnyDecision": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.decisions.items[0]", "IsPresent": True, "Next": "JudgeDecisions"}
            ],
            "Default": "ReviewTick",
        },
        "JudgeDecisions": {
            "Type": "Map",
            "ItemsPath": "$.decisions.items",
            "Parameters": {
                # The writer's identity is the partition key: IAM lets a person write only
                # under their own SourceIdentity. Any identity inside the row is ignored.
                "who.$": "$$.Map.Item.Value.pk.S",
                "decision.$": "$$.Map.Item.Value.decision.S",
                "requester.$": "$.requester",
            },
            "Iterator": {
                "StartAt": "Judge",
                "States": {
                    "Judge": {
                        "Type": "Choice",
                        "Choices": [
                            {
                                "Variable": "$.who",
                                "StringEqualsPath": "$.requester",
                                "Next": "Ignore",
                            },
                            {"Not": is_approver, "Next": "Ignore"},
                            {"Variable": "$.decision", "StringEquals": REJECT, "Next": "Rejection"},
                            {"Variable": "$.decision", "StringEquals": APPROVE, "Next": "Approval"},
                        ],
                        "Default": "Ignore",
                    },
                    "Ignore": {
                        "Type": "Pass",
                        "Parameters": {APPROVE: NOBODY, REJECT: NOBODY},
                        "End": True,
                    },
                    "Rejection": {
                        "Type": "Pass",
                        "Parameters": {APPROVE: NOBODY, f"{REJECT}.$": "$.who"},
                        "End": True,
                    },
                    "Approval": {
                        "Type": "Pass",
                        "Parameters": {f"{APPROVE}.$": "$.who", REJECT: NOBODY},
                        "End": True,
                    },
                },
            },
            "ResultSelector": {
                "approve.$": f"$[*].{APPROVE}",
                "reject.$": f"$[*].{REJECT}",
            },
            "ResultPath": "$.votes",
            "Next": "Count",
        },
        "Count": {
            # Each list holds distinct identities plus, unless every decision was of its
            # kind, the NOBODY placeholder; the quorum rule allows for it.
            "Type": "Pass",
            "Parameters": {
                "approve.$": "States.ArrayUnique($.votes.approve)",
                "reject.$": "States.ArrayUnique($.votes.reject)",
                "approvals.$": "States.ArrayLength(States.ArrayUnique($.votes.approve))",
                "rejections.$": "States.ArrayLength(States.ArrayUnique($.votes.reject))",
                "approve_padded.$": f"States.ArrayContains($.votes.approve, '{NOBODY}')",
                "reject_padded.$": f"States.ArrayContains($.votes.reject, '{NOBODY}')",
            },
            "ResultPath": "$.votes",
            "Next": "Quorum",
        },
        "Quorum": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.votes.reject_padded", "BooleanEquals": False, "Next": "Rejected"},
                {"Variable": "$.votes.rejections", "NumericGreaterThan": 1, "Next": "Rejected"},
                {
                    "And": [
                        {"Variable": "$.votes.approve_padded", "BooleanEquals": False},
                        {"Variable": "$.votes.approvals", "NumericGreaterThanEquals": quorum},
                    ],
                    "Next": "Approved",
                },
                {
                    "And": [
                        {"Variable": "$.votes.approve_padded", "BooleanEquals": True},
                        {"Variable": "$.votes.approvals", "NumericGreaterThan": quorum},
                    ],
                    "Next": "Approved",
                },
            ],
            "Default": "ReviewTick",
        },
        # Here at least one (rejected) or two (approved) real identities are in the list, so
        # the filter matches something (a path that matches nothing would fail the execution).
        "Rejected": {
            "Type": "Pass",
            "Parameters": {"identities.$": f"$.votes.reject[?(@ != '{NOBODY}')]"},
            "ResultPath": "$.rejecters",
            "Next": "RecordRejected",
        },
        "Approved": {
            "Type": "Pass",
            "Parameters": {"identities.$": f"$.votes.approve[?(@ != '{NOBODY}')]"},
            "ResultPath": "$.approvers",
            "Next": "RecordApproved",
        },
        **_tick("ReviewTick", "RecordExpired", "WaitForDecisions", max_polls),
    }


def _release() -> dict[str, Any]:
    return {
        "Type": "Map",
        "ItemsPath": "$.objects",
        "Parameters": {
            "request_id.$": "$.request_id",
            "key.$": "$$.Map.Item.Value.key",
            "version_id.$": "$$.Map.Item.Value.version_id",
            "review_version_id.$": "$$.Map.Item.Value.review_version_id",
            "sha256.$": "$$.Map.Item.Value.sha256",
        },
        "MaxConcurrency": 10,
        "Iterator": {
            "StartAt": "CopyScannedVersion",
            "States": {
                "CopyScannedVersion": {
                    "Type": "Task",
                    "Resource": f"{_SDK}:s3:copyObject",
                    # The one principal that may write the export bucket (EXP-1).
                    "Credentials": {"RoleArn": "${ReleaseRoleArn}"},
                    "Parameters": {
                        "Bucket": "${ExportBucket}",
                        "Key.$": "States.Format('{}/{}', $.request_id, $.key)",
                        "CopySource.$": (
                            "States.Format('${ReviewBucket}/{}/{}?versionId={}', "
                            "$.request_id, $.key, $.review_version_id)"
                        ),
                        "ChecksumAlgorithm": "SHA256",
                        "TaggingDirective": "REPLACE",
                    },
                    "ResultSelector": {
                        "export_version_id.$": "$.VersionId",
                        "sha256.$": "$.CopyObjectResult.ChecksumSHA256",
                    },
                    "ResultPath": "$.released",
                    "Next": "SameDigest",
                },
                "SameDigest": {
                    "Type": "Choice",
                    "Choices": [
                        {
                            "Variable": "$.released.sha256",
                            "StringEqualsPath": "$.sha256",
                            "Next": "Released",
                        }
                    ],
                    "Default": "DigestMismatch",
                },
                "DigestMismatch": {
                    "Type": "Fail",
                    "Error": "DigestMismatch",
                    "Cause": "the released copy differs from the scanned version",
                },
                "Released": {
                    "Type": "Pass",
                    "Parameters": {
                        "key.$": "$.key",
                        "version_id.$": "$.version_id",
                        "review_version_id.$": "$.review_version_id",
                        "export_version_id.$": "$.released.export_version_id",
                        "sha256.$": "$.sha256",
                    },
                    "End": True,
                },
            },
        },
        "ResultPath": "$.objects",
        "Next": "RecordReleased",
    }


def definition(
    *,
    approvers: Sequence[str],
    quorum: int = 2,
    poll_seconds: int = 3600,
    ttl_seconds: int = 14 * 86400,
) -> dict[str, Any]:
    """The state machine, with ``${Name}`` placeholders for :data:`SUBSTITUTIONS`.

    :param approvers: the room's manifest approvers; nobody else's decision counts.
    :param quorum: distinct approvals needed (the two-person rule: at least 2).
    :param poll_seconds: wait between two reads of the scan tags or of the decisions.
    :param ttl_seconds: the request's time to live; it expires after as many polls.
    """
    if quorum < 2:
        raise ValueError(f"quorum={quorum}: expected at least 2 (the two-person rule)")
    if len(set(approvers)) < quorum:
        raise ValueError(
            f"approvers={list(approvers)!r}: expected at least {quorum} distinct approvers"
        )
    if poll_seconds < 0 or ttl_seconds < poll_seconds:
        raise ValueError(
            f"poll_seconds={poll_seconds}, ttl_seconds={ttl_seconds}: expected "
            "0 <= poll_seconds <= ttl_seconds"
        )
    max_polls = max(1, ttl_seconds // max(poll_seconds, 1))
    failed = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RecordFailed"}]
    states: dict[str, Any] = {
        "StartClock": {
            "Type": "Pass",
            "Result": {"polls": 0},
            "ResultPath": "$.clock",
            "Next": "LoadRequest",
        },
        "LoadRequest": {
            # The request row lives in its writer's own partition: pk is the requester.
            "Type": "Task",
            "Resource": f"{_DDB}:getItem",
            "Parameters": {
                "TableName": "${Table}",
                "Key": {
                    "pk": {"S.$": "$.requester"},
                    "sk": {"S.$": f"States.Format('{REQUEST_PREFIX}{{}}', $.request_id)"},
                },
                "ConsistentRead": True,
            },
            "ResultSelector": {"item.$": "$"},
            "ResultPath": "$.loaded",
            "Next": "RequestExists",
        },
        "RequestExists": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.loaded.item.Item", "IsPresent": True, "Next": "KeepRequest"}
            ],
            "Default": "NoSuchRequest",
        },
        "NoSuchRequest": {
            "Type": "Fail",
            "Error": "NoSuchRequest",
            "Cause": "no request row under the requester's identity with this request id",
        },
        "KeepRequest": {
            "Type": "Pass",
            "Parameters": {"objects.$": "$.loaded.item.Item.objects"},
            "ResultPath": "$.request",
            "Next": "RecordSubmitted",
        },
        "RecordSubmitted": _record("Submitted", "CopyToReview"),
        "CopyToReview": {**_copy_to_review(), "Catch": failed},
        "RecordScanning": _record(
            "Scanning",
            "WaitForScan",
            {"objects": {"S.$": "States.JsonToString($.objects)"}},
        ),
        **_scan_states(poll_seconds, max_polls),
        "RecordInReview": _record("InReview", "WaitForDecisions"),
        **_review_states(approvers, quorum, poll_seconds, max_polls),
        "RecordApproved": _record(
            "Approved",
            "Release",
            {"approvers": {"S.$": "States.JsonToString($.approvers.identities)"}},
        ),
        "Release": {**_release(), "Catch": failed},
        "RecordReleased": _record(
            "Released",
            None,
            {
                "objects": {"S.$": "States.JsonToString($.objects)"},
                "approvers": {"S.$": "States.JsonToString($.approvers.identities)"},
            },
        ),
        "RecordBlocked": _record("Blocked", None, {"scan": {"S.$": "States.JsonToString($.scan)"}}),
        "RecordRejected": _record(
            "Rejected", None, {"rejecters": {"S.$": "States.JsonToString($.rejecters.identities)"}}
        ),
        "RecordExpired": _record("Expired", None),
        "RecordFailed": _record(
            "Failed", "Failed", {"error": {"S.$": "States.JsonToString($.error)"}}
        ),
        "Failed": {"Type": "Fail", "Error": "AirlockFailed", "Cause": "see the Failed row"},
    }
    return {
        "Comment": "dataroom export airlock (EXP-1): scan, two-person approval, release",
        "StartAt": "StartClock",
        "States": states,
    }


def render(document: Mapping[str, Any], substitutions: Mapping[str, str]) -> str:
    """``document`` as JSON with its placeholders replaced (what CloudFormation does)."""
    text = json.dumps(document)
    for name in SUBSTITUTIONS:
        text = text.replace("${" + name + "}", substitutions[name])
    return text
