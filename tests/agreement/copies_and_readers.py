"""Weakenings of the agreement table for PER2NoCopiesOut, S34BucketPolicyAccount and
PER2PerimeterAttached: the red team's escape hatches, as edits of the example's templates."""

from __future__ import annotations

from typing import Any

Template = dict[str, Any]


def _props(template: Template, kind: str, prefix: str) -> dict[str, Any]:
    found = [
        r
        for lid, r in template["Resources"].items()
        if r["Type"] == kind and lid.startswith(prefix)
    ]
    assert len(found) == 1, (kind, prefix, len(found))
    props: dict[str, Any] = found[0].setdefault("Properties", {})
    return props


def results_replicated(room: Template, _: Template) -> None:
    _props(room, "AWS::S3::Bucket", "StorageResults")["ReplicationConfiguration"] = {
        "Role": "arn:aws:iam::222222222222:role/Replicator",
        "Rules": [{"Status": "Enabled",
                   "Destination": {"Bucket": "arn:aws:s3:::sink", "Account": "999999999999"}}],
    }  # fmt: skip


def logs_subscribed_out(room: Template, _: Template) -> None:
    room["Resources"]["Sink"] = {
        "Type": "AWS::Logs::SubscriptionFilter",
        "Properties": {"LogGroupName": "room", "FilterPattern": "",
                       "DestinationArn": "arn:aws:logs:us-east-1:999999999999:destination:sink"},
    }  # fmt: skip


def export_granted_to_a_partner(room: Template, _: Template) -> None:
    _props(room, "AWS::S3::BucketPolicy", "AirlockExportPolicy")["PolicyDocument"][
        "Statement"
    ].append(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:role/Partner"},
         "Action": "s3:GetObject", "Resource": "*"}
    )  # fmt: skip


def perimeter_roles_emptied(room: Template, _: Template) -> None:
    _props(room, "AWS::IAM::ManagedPolicy", "Perimeter")["Roles"] = []
