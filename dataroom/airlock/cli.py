"""``dataroom export request | approve | reject | status | list | evidence`` (EXP-1, EXP-2).

Plain boto3 against the room's airlock table and state machine, whose names derive from the room
(``dataroom-<room>-airlock``). Inside the glovebox the table is reached through its DynamoDB
gateway endpoint and Step Functions through its interface endpoint; ``--endpoint-url`` points
every client at another endpoint (moto, a test). Exit codes as the other commands: 0 done, 1
refused (access denied, already decided, no such request), 2 usage or environment problem.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dataroom.airlock.definition import APPROVE, BY_REQUEST_INDEX, REJECT
from dataroom.airlock.records import (
    BY_KIND_INDEX,
    RequestStatus,
    check_identity,
    check_request_id,
    decision_item,
    export_record,
    new_request_id,
    parse_object,
    pipeline_key,
    request_item,
    status_from_rows,
)

__all__ = ["add_export_parser", "fetch_status", "list_requests", "released_exports"]

IDENTITY_ENV = "DATAROOM_SOURCE_IDENTITY"


class ExportError(Exception):
    """A problem the user must fix; ``code`` is the exit code (1 refused, 2 usage)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def table_name(room: str) -> str:
    return f"dataroom-{room}-airlock"


def _clients(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    import boto3

    session = boto3.session.Session(region_name=args.region)
    kwargs = {"endpoint_url": args.endpoint_url} if args.endpoint_url else {}
    return (
        session.client("dynamodb", **kwargs),
        session.client("stepfunctions", **kwargs),
        session.client("sts", **kwargs),
    )


def _aws_error(exc: Exception, doing: str) -> ExportError:
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", "")
        if code in ("AccessDeniedException", "AccessDenied", "UnrecognizedClientException"):
            return ExportError(
                f"{doing}: access denied ({message}). The airlock accepts rows only under your "
                "session's own SourceIdentity: check --as, and that you assumed the room's "
                "scientist role (requests) or approver role (decisions).",
                1,
            )
        if code == "ConditionalCheckFailedException":
            return ExportError(f"{doing}: refused, the row already exists ({message})", 1)
        if code == "ResourceNotFoundException":
            return ExportError(f"{doing}: {message} (is the room's airlock deployed?)", 2)
        return ExportError(f"{doing}: {code}: {message}", 1)
    if isinstance(exc, BotoCoreError):
        return ExportError(f"{doing}: {exc}", 2)
    raise exc


def _identity(args: argparse.Namespace) -> str:
    identity = args.identity or os.environ.get(IDENTITY_ENV, "")
    if not identity:
        raise ExportError(
            f"who are you? pass --as with your session's SourceIdentity (or set {IDENTITY_ENV})"
        )
    try:
        return check_identity(identity)
    except ValueError as exc:
        raise ExportError(str(exc)) from None


def fetch_status(ddb: Any, table: str, request_id: str) -> RequestStatus:
    """Everything the table holds about one request (its rows from both partitions' kinds)."""
    rows: list[dict[str, Any]] = []
    for query in (
        {
            "IndexName": BY_REQUEST_INDEX,
            "KeyConditionExpression": "request_id = :id",
            "ExpressionAttributeValues": {":id": {"S": request_id}},
        },
        {
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pipeline_key(request_id)}},
            "ConsistentRead": True,
        },
    ):
        for page in ddb.get_paginator("query").paginate(TableName=table, **query):
            rows.extend(page["Items"])
    return status_from_rows(request_id, rows)


def list_requests(ddb: Any, table: str) -> list[RequestStatus]:
    """Every request of the room, oldest first (reviewers look for differencing attacks)."""
    ids: list[str] = []
    for page in ddb.get_paginator("query").paginate(
        TableName=table,
        IndexName=BY_KIND_INDEX,
        KeyConditionExpression="kind = :k",
        ExpressionAttributeValues={":k": {"S": "request"}},
    ):
        ids.extend(item["request_id"]["S"] for item in page["Items"])
    return [fetch_status(ddb, table, i) for i in ids]


def released_exports(ddb: Any, table: str, room: str) -> list[dict[str, Any]]:
    """Every released export of the room as an evidence record (EXP-2)."""
    return [export_record(room, s) for s in list_requests(ddb, table) if s.released is not None]


def _request(args: argparse.Namespace) -> int:
    identity = _identity(args)
    try:
        objects = [parse_object(o) for o in args.object]
        request_id = new_request_id()
        ddb, sfn, sts = _clients(args)
        caller = sts.get_caller_identity()
        item = request_item(
            request_id=request_id,
            requester=identity,
            room=args.room,
            objects=objects,
            reason=args.reason,
            caller_arn=caller["Arn"],
        )
    except ValueError as exc:
        raise ExportError(str(exc)) from None
    except Exception as exc:
        raise _aws_error(exc, "request") from None
    table = args.table or table_name(args.room)
    try:
        ddb.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(pk)")
        state_machine = args.state_machine_arn or _state_machine_arn(args, caller["Account"])
        sfn.start_execution(
            stateMachineArn=state_machine,
            name=request_id,
            input=json.dumps({"request_id": request_id, "requester": identity}),
        )
    except Exception as exc:
        raise _aws_error(exc, "request") from None
    print(request_id)
    print(
        f"dataroom export: requested {len(objects)} object(s) from room {args.room} as "
        f"{identity}; it needs a clean scan and two approvals by room approvers other than you",
        file=sys.stderr,
    )
    return 0


def _state_machine_arn(args: argparse.Namespace, account: str) -> str:
    import boto3

    region = args.region or boto3.session.Session().region_name or "us-east-1"
    partition = boto3.session.Session().get_partition_for_region(region)
    return f"arn:{partition}:states:{region}:{account}:stateMachine:{table_name(args.room)}"


def _decide(args: argparse.Namespace, decision: str) -> int:
    identity = _identity(args)
    try:
        request_id = check_request_id(args.request_id)
        item = decision_item(
            request_id=request_id, approver=identity, decision=decision, comment=args.comment
        )
    except ValueError as exc:
        raise ExportError(str(exc)) from None
    table = args.table or table_name(args.room)
    try:
        ddb, _, _ = _clients(args)
        status = fetch_status(ddb, table, request_id)
        if status.requester is None:
            raise ExportError(f"no request {request_id} in room {args.room}", 1)
        if status.requester == identity:
            raise ExportError(
                f"{identity} requested {request_id}: the requester's decision never counts; "
                "ask two other approvers of the room",
                1,
            )
        ddb.put_item(
            TableName=table,
            Item=item,
            # One decision per approver and request, never overwritten.
            ConditionExpression="attribute_not_exists(pk)",
        )
    except ExportError:
        raise
    except Exception as exc:
        raise _aws_error(exc, decision) from None
    print(f"dataroom export: {identity} recorded {decision!r} on {request_id}")
    return 0


def _status(args: argparse.Namespace) -> int:
    try:
        request_id = check_request_id(args.request_id)
    except ValueError as exc:
        raise ExportError(str(exc)) from None
    try:
        ddb, _, _ = _clients(args)
        status = fetch_status(ddb, args.table or table_name(args.room), request_id)
    except Exception as exc:
        raise _aws_error(exc, "status") from None
    if status.requester is None and not status.states:
        raise ExportError(f"no request {request_id} in room {args.room}", 1)
    if args.json:
        print(json.dumps(status.to_json(), indent=2))
        return 0
    print(f"{request_id}: {status.state} (requested by {status.requester}: {status.reason})")
    for state, at in status.states:
        print(f"  {at}  {state}")
    for d in status.decisions:
        print(f"  {d.at}  {d.decision} by {d.identity}{': ' + d.comment if d.comment else ''}")
    for obj in status.objects:
        print(f"  object {obj['key']}@{obj['version_id']}")
    return 0


def _list(args: argparse.Namespace) -> int:
    try:
        ddb, _, _ = _clients(args)
        statuses = list_requests(ddb, args.table or table_name(args.room))
    except Exception as exc:
        raise _aws_error(exc, "list") from None
    if args.json:
        print(json.dumps([s.to_json() for s in statuses], indent=2))
        return 0
    for s in statuses:
        keys = ", ".join(o["key"] for o in s.objects)
        print(f"{s.request_id}  {s.state:<9}  {s.requester}  {keys}")
    print(f"dataroom export: {len(statuses)} request(s) in room {args.room}", file=sys.stderr)
    return 0


def _evidence(args: argparse.Namespace) -> int:
    try:
        ddb, _, _ = _clients(args)
        records = released_exports(ddb, args.table or table_name(args.room), args.room)
    except Exception as exc:
        raise _aws_error(exc, "evidence") from None
    document = {"kind": "dataroom-exports", "room": args.room, "exports": records}
    Path(args.out).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"dataroom export: {len(records)} released export(s) of room {args.room} in {args.out}")
    return 0


def _run(args: argparse.Namespace) -> int:
    try:
        code: int = args.export_func(args)
    except ExportError as exc:
        print(f"dataroom export: {exc}", file=sys.stderr)
        return exc.code
    return code


def add_export_parser(sub: Any) -> None:
    """Register ``dataroom export ...`` on the main command's subparsers."""
    export = sub.add_parser(
        "export",
        help="request, approve and follow exports through the room's airlock (EXP-1)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.set_defaults(func=_run)
    actions = export.add_subparsers(dest="export_command", required=True)

    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--room", required=True, help="the room's name (manifest)")
        parser.add_argument("--endpoint-url", help="an endpoint for every AWS client (or moto)")
        parser.add_argument("--region", help="the room's region (default: the AWS config's)")
        parser.add_argument("--table", help="the airlock table (default dataroom-ROOM-airlock)")

    request = actions.add_parser("request", help="ask for objects of the results bucket")
    common(request)
    request.add_argument(
        "--object",
        required=True,
        action="append",
        metavar="KEY@VERSION_ID",
        help="an object of the results bucket, pinned to a version (repeat for several)",
    )
    request.add_argument("--reason", required=True, help="why these results must leave the room")
    request.add_argument("--as", dest="identity", help=f"your SourceIdentity (or ${IDENTITY_ENV})")
    request.add_argument("--state-machine-arn", help="default: derived from the room and account")
    request.set_defaults(export_func=_request)

    for decision, verb in ((APPROVE, "approve"), (REJECT, "reject")):
        parser = actions.add_parser(verb, help=f"{verb} a request (room approvers only)")
        common(parser)
        parser.add_argument("request_id")
        parser.add_argument("--as", dest="identity", help=f"your SourceIdentity (${IDENTITY_ENV})")
        parser.add_argument("--comment", default="", help="what you checked")
        parser.set_defaults(export_func=lambda a, d=decision: _decide(a, d))

    status = actions.add_parser("status", help="where a request is, and who decided what")
    common(status)
    status.add_argument("request_id")
    status.add_argument("--json", action="store_true")
    status.set_defaults(export_func=_status)

    listing = actions.add_parser("list", help="every request of the room, oldest first")
    common(listing)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(export_func=_list)

    evidence = actions.add_parser(
        "evidence", help="write the room's released exports for `dataroom review --exports`"
    )
    common(evidence)
    evidence.add_argument("--out", default="exports.json")
    evidence.set_defaults(export_func=_evidence)


def main(argv: Sequence[str] | None = None) -> int:
    """``dataroom export ...`` on its own (the main command delegates here)."""
    parser = argparse.ArgumentParser(prog="dataroom")
    add_export_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["export", *(argv or sys.argv[1:])])
    code: int = args.func(args)
    return code
