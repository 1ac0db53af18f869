"""``dataroom rooms``, ``dataroom unfreeze`` and ``dataroom retire`` (LCY-1..3).

- ``rooms`` lists every room of a manifest with its phase, expiry, budget and, with credentials,
  whether its stack is deployed and frozen and what the budget has spent. Exit 1 when a room is
  expired but its stack is still deployed.
- ``unfreeze ROOM`` detaches the room's freeze policy from every role it is attached to.
- ``retire ROOM`` writes the room's final evidence (review, digests, exports, last audit) into
  the room's object-locked evidence bucket, then prints the ``cdk destroy`` command and the
  manifest's ``retired`` entry.

boto3 is imported when a command runs, never at import: ``dataroom validate`` does not pay for it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataroom.manifest import Manifest, ManifestError, Room, load_manifest

#: Where the CLI keeps a room's evidence in its evidence bucket.
EVIDENCE_PREFIX = "retired"
#: The review outputs retire keeps (``dataroom review`` writes them).
REVIEW_FILES = ("review.json", "evidence.json", "REVIEW.md")
UNKNOWN = "unknown"

#: ``client(service)`` for one account.
ClientFactory = Callable[[str], Any]


class LifecycleCommandError(Exception):
    """A usage problem: the message says what to do; the command exits 2."""


def stack_name(room: Room) -> str:
    """The CloudFormation stack name of a room (``DataRoomStack`` sets it)."""
    return f"dataroom-{room.name}"


def freeze_policy_arn(room: Room, partition: str = "aws") -> str:
    """The room's freeze policy (``RoomLifecycle`` names it)."""
    return f"arn:{partition}:iam::{room.account}:policy/dataroom-{room.name}-freeze"


def read_freeze_policy_arn(manifest: Manifest, room: Room, partition: str = "aws") -> str:
    """The production read role's freeze policy (in the production account)."""
    return (
        f"arn:{partition}:iam::{manifest.production.account}:policy/"
        f"dataroom-{room.name}-read-freeze"
    )


def expiry_text(days_left: int) -> str:
    """``12 day(s) left``, ``last day`` or ``expired 3 day(s) ago``."""
    if days_left > 0:
        return f"{days_left} day(s) left"
    if days_left == 0:
        return "last day"
    return f"expired {-days_left} day(s) ago"


# --- credentials and clients --------------------------------------------------------------------


@dataclass
class Accounts:
    """boto3 clients per account: the credentials' own, or assumed with ``--assume-role``."""

    endpoint_url: str | None
    assume_role: str | None
    region: str
    _session: Any = None
    _caller: dict[str, str] | None = None
    _sessions: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None

    def __post_init__(self) -> None:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        self._session = boto3.Session(region_name=self.region)
        if self._session.get_credentials() is None:
            self.problem = "no AWS credentials"
            return
        try:
            sts = self._session.client("sts", endpoint_url=self.endpoint_url)
            identity = sts.get_caller_identity()
        except (BotoCoreError, ClientError) as error:
            self.problem = f"credentials not usable: {error}"
            return
        self._caller = {"account": identity["Account"], "arn": identity["Arn"]}

    @property
    def online(self) -> bool:
        return self._caller is not None

    @property
    def caller_account(self) -> str | None:
        return self._caller["account"] if self._caller else None

    @property
    def partition(self) -> str:
        return self._caller["arn"].split(":")[1] if self._caller else "aws"

    def clients(self, account: str, region: str) -> ClientFactory | str:
        """A client factory for ``account``, or why there is none."""
        if not self.online:
            return self.problem or "no AWS credentials"
        session = self._session
        if account != self.caller_account:
            if not self.assume_role:
                return f"credentials are for account {self.caller_account}; see --assume-role"
            if account not in self._sessions:
                from botocore.exceptions import BotoCoreError, ClientError

                role_arn = f"arn:{self.partition}:iam::{account}:role/{self.assume_role}"
                try:
                    sts = self._session.client("sts", endpoint_url=self.endpoint_url)
                    credentials = sts.assume_role(
                        RoleArn=role_arn, RoleSessionName="dataroom-rooms"
                    )["Credentials"]
                except (BotoCoreError, ClientError) as error:
                    return f"cannot assume {role_arn}: {error}"
                import boto3

                self._sessions[account] = boto3.Session(
                    aws_access_key_id=credentials["AccessKeyId"],
                    aws_secret_access_key=credentials["SecretAccessKey"],
                    aws_session_token=credentials["SessionToken"],
                    region_name=region,
                )
            session = self._sessions[account]

        def make(service: str) -> Any:
            # Budgets is a global API served from us-east-1.
            where = "us-east-1" if service == "budgets" else region
            return session.client(service, region_name=where, endpoint_url=self.endpoint_url)

        return make


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code") or type(error).__name__)
    return type(error).__name__


def describe_stack(client: ClientFactory, name: str) -> dict[str, Any] | None:
    """The stack called ``name``, or None when it does not exist (or was deleted)."""
    from botocore.exceptions import ClientError

    try:
        stacks = client("cloudformation").describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    if not stacks or stacks[0]["StackStatus"] == "DELETE_COMPLETE":
        return None
    return dict(stacks[0])


def stack_outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


# --- dataroom rooms -----------------------------------------------------------------------------


@dataclass
class RoomStatus:
    """One row of ``dataroom rooms``."""

    room: str
    phase: str
    account: str
    region: str
    expires: str
    days_left: int
    expired: bool
    budget_usd_month: int
    deployed: bool | None = None
    stack_status: str | None = None
    frozen: bool | None = None
    frozen_roles: list[str] = field(default_factory=list)
    budget_spent_usd: float | None = None
    budget_forecast_usd: float | None = None
    budget_state: str = UNKNOWN
    notes: list[str] = field(default_factory=list)

    @property
    def expired_but_deployed(self) -> bool:
        return self.expired and self.deployed is True

    def to_dict(self) -> dict[str, Any]:
        return {
            "room": self.room,
            "phase": self.phase,
            "account": self.account,
            "region": self.region,
            "expires": self.expires,
            "daysLeft": self.days_left,
            "expired": self.expired,
            "budgetUsdMonth": self.budget_usd_month,
            "budgetState": self.budget_state,
            "budgetSpentUsd": self.budget_spent_usd,
            "budgetForecastUsd": self.budget_forecast_usd,
            "deployed": self.deployed,
            "stackStatus": self.stack_status,
            "frozen": self.frozen,
            "frozenRoles": self.frozen_roles,
            "expiredButDeployed": self.expired_but_deployed,
            "notes": self.notes,
        }


def room_status(
    manifest: Manifest, room: Room, today: dt.date, accounts: Accounts | None
) -> RoomStatus:
    """What the manifest says about ``room`` plus, with credentials, what its account says."""
    status = RoomStatus(
        room=room.name,
        phase=room.phase.value,
        account=room.account,
        region=manifest.room_region(room),
        expires=room.expires.isoformat(),
        days_left=(room.expires - today).days,
        expired=today > room.expires,
        budget_usd_month=room.budget_usd_month,
    )
    if accounts is None:
        status.notes.append("manifest only")
        return status
    client = accounts.clients(room.account, status.region)
    if isinstance(client, str):
        status.notes.append(client)
        return status
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        stack = describe_stack(client, stack_name(room))
    except (BotoCoreError, ClientError) as error:
        status.notes.append(f"DescribeStacks: {_error_code(error)}")
        return status
    status.deployed = stack is not None
    if stack is None:
        status.frozen = False
        return status
    status.stack_status = stack["StackStatus"]
    outputs = stack_outputs(stack)
    policy = outputs.get("FreezePolicyArn") or freeze_policy_arn(room, accounts.partition)
    from dataroom.lifecycle.handler import frozen_roles

    try:
        status.frozen_roles = frozen_roles(policy, iam=client("iam"))
        status.frozen = bool(status.frozen_roles)
    except (BotoCoreError, ClientError) as error:
        status.notes.append(f"freeze policy: {_error_code(error)}")
    budget_name = outputs.get("BudgetName") or f"dataroom-{room.name}"
    try:
        budget = client("budgets").describe_budget(AccountId=room.account, BudgetName=budget_name)
        _budget_state(status, budget["Budget"])
    except (BotoCoreError, ClientError) as error:
        status.notes.append(f"DescribeBudget: {_error_code(error)}")
    return status


def _budget_state(status: RoomStatus, budget: dict[str, Any]) -> None:
    limit = float(budget.get("BudgetLimit", {}).get("Amount") or status.budget_usd_month)
    spend = budget.get("CalculatedSpend", {})
    actual = spend.get("ActualSpend", {}).get("Amount")
    forecast = spend.get("ForecastedSpend", {}).get("Amount")
    status.budget_spent_usd = float(actual) if actual is not None else None
    status.budget_forecast_usd = float(forecast) if forecast is not None else None
    if status.budget_spent_usd is None:
        status.budget_state = "no data yet"
    elif status.budget_spent_usd >= limit:
        status.budget_state = "OVER"
    elif status.budget_spent_usd >= 0.8 * limit:
        status.budget_state = "WARN"
    elif status.budget_forecast_usd is not None and status.budget_forecast_usd >= 0.9 * limit:
        status.budget_state = "FORECAST OVER 90%"
    else:
        status.budget_state = "ok"


def _yes_no(value: bool | None) -> str:
    return UNKNOWN if value is None else ("yes" if value else "no")


def render_rooms(rows: Sequence[RoomStatus], today: dt.date) -> str:
    """The table ``dataroom rooms`` prints."""
    header = ("ROOM", "PHASE", "ACCOUNT", "EXPIRES", "EXPIRY", "BUDGET", "DEPLOYED", "FROZEN")
    lines: list[tuple[str, ...]] = [header]
    for row in rows:
        if row.budget_spent_usd is not None:
            budget = f"{row.budget_spent_usd:.2f}/{row.budget_usd_month} USD {row.budget_state}"
        else:
            budget = f"{row.budget_usd_month} USD/month, {row.budget_state}"
        left = expiry_text(row.days_left)
        deployed = _yes_no(row.deployed)
        if row.stack_status and row.deployed:
            deployed = f"yes ({row.stack_status})"
        lines.append(
            (
                row.room,
                row.phase,
                row.account,
                row.expires,
                left,
                budget,
                deployed,
                _yes_no(row.frozen),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]
    for row in rows:
        for note in row.notes:
            out.append(f"  {row.room}: {note}")
        if row.expired_but_deployed:
            out.append(
                f"  {row.room}: EXPIRED BUT STILL DEPLOYED: freeze it and run "
                f"`dataroom retire {row.room}`"
            )
    out.append(f"({len(rows)} room(s), judged on {today.isoformat()})")
    return "\n".join(out)


def _rooms(args: argparse.Namespace) -> int:
    manifest = _load(args.manifest)
    today = args.today or dt.datetime.now(dt.UTC).date()
    accounts = None
    if not args.offline:
        accounts = Accounts(
            endpoint_url=args.endpoint_url,
            assume_role=args.assume_role,
            region=manifest.production.region,
        )
    rows = [room_status(manifest, room, today, accounts) for room in manifest.rooms]
    if args.json:
        print(
            json.dumps({"today": today.isoformat(), "rooms": [r.to_dict() for r in rows]}, indent=2)
        )
    else:
        print(render_rooms(rows, today))
    return 1 if any(row.expired_but_deployed for row in rows) else 0


# --- dataroom unfreeze --------------------------------------------------------------------------


def _unfreeze(args: argparse.Namespace) -> int:
    from dataroom.lifecycle.handler import unfreeze

    manifest = _load(args.manifest)
    room = _room(manifest, args.room)
    today = args.today or dt.datetime.now(dt.UTC).date()
    if today > room.expires and not args.force:
        raise LifecycleCommandError(
            f"room {room.name} expired on {room.expires.isoformat()}: the freeze would come "
            "back with the expiry; extend 'expires' in the manifest (with a new approval), run "
            "`cdk deploy` (the schedules move with it), then unfreeze"
        )
    accounts = Accounts(
        endpoint_url=args.endpoint_url,
        assume_role=args.assume_role,
        region=manifest.room_region(room),
    )
    if args.production:
        account = manifest.production.account
        policy = read_freeze_policy_arn(manifest, room, accounts.partition)
    else:
        account = room.account
        policy = freeze_policy_arn(room, accounts.partition)
    client = accounts.clients(account, manifest.room_region(room))
    if isinstance(client, str):
        raise LifecycleCommandError(f"account {account}: {client}")
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        roles = unfreeze(policy, iam=client("iam"))
    except (BotoCoreError, ClientError) as error:
        print(f"dataroom unfreeze: {policy}: {error}", file=sys.stderr)
        return 1
    if roles:
        print(f"dataroom unfreeze: detached {policy} from {', '.join(roles)}")
    else:
        print(f"dataroom unfreeze: {policy} is attached to no role; {room.name} was not frozen")
    return 0


# --- dataroom retire ----------------------------------------------------------------------------


def _files(paths: Sequence[str]) -> Iterator[tuple[Path, str]]:
    """(file, name under the evidence prefix) for each file or each file of each directory."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for item in sorted(p for p in path.rglob("*") if p.is_file()):
                yield item, f"{path.name}/{item.relative_to(path).as_posix()}"
        elif path.is_file():
            yield path, path.name
        else:
            raise LifecycleCommandError(f"{raw}: no such file or directory")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def evidence_files(
    manifest_path: Path, review_dir: Path, exports: Sequence[str], audit: str | None
) -> list[tuple[Path, str]]:
    """What retire keeps: the manifest, the review, exports and the last audit, by key."""
    if not (review_dir / "review.json").is_file():
        raise LifecycleCommandError(
            f"{review_dir}/review.json not found: run `dataroom review --out {review_dir}` on the "
            "room's last synthesis first; retire keeps the review as evidence"
        )
    files = [(manifest_path, f"manifest/{manifest_path.name}")]
    files += [(review_dir / n, f"review/{n}") for n in REVIEW_FILES if (review_dir / n).is_file()]
    files += [(p, f"exports/{k}") for p, k in _files(exports)]
    if audit:
        files += [(p, f"audit/{k}") for p, k in _files([audit])]
    return files


def _retire(args: argparse.Namespace) -> int:
    manifest_path = Path(args.manifest)
    manifest = _load(args.manifest)
    room = _room(manifest, args.room)
    files = evidence_files(manifest_path, Path(args.review), args.exports or (), args.audit)
    accounts = Accounts(
        endpoint_url=args.endpoint_url,
        assume_role=args.assume_role,
        region=manifest.room_region(room),
    )
    client = accounts.clients(room.account, manifest.room_region(room))
    if isinstance(client, str):
        raise LifecycleCommandError(f"account {room.account}: {client}")
    stack = describe_stack(client, stack_name(room))
    bucket = args.bucket or (stack_outputs(stack).get("EvidenceBucketName") if stack else None)
    if not bucket:
        raise LifecycleCommandError(
            f"stack {stack_name(room)} has no EvidenceBucketName output (not deployed, or "
            "deployed before the lifecycle); name the object-locked bucket with --bucket"
        )
    now = dt.datetime.now(dt.UTC)
    prefix = f"{EVIDENCE_PREFIX}/{room.name}/{now.strftime('%Y%m%dT%H%M%SZ')}/"
    digests = {key: sha256(path) for path, key in files}
    index = {
        "room": room.name,
        "account": room.account,
        "ticket": room.ticket,
        "phase": room.phase.value,
        "expires": room.expires.isoformat(),
        "retiredAt": now.isoformat(timespec="seconds"),
        "stack": stack_name(room),
        "stackStatus": stack["StackStatus"] if stack else None,
        "sha256": digests,
    }
    s3 = client("s3")
    for path, key in files:
        with path.open("rb") as body:
            s3.put_object(
                Bucket=bucket,
                Key=prefix + key,
                Body=body,
                ChecksumAlgorithm="SHA256",
                Metadata={"sha256": digests[key]},
            )
    s3.put_object(
        Bucket=bucket,
        Key=prefix + "digests.json",
        Body=(json.dumps(index, indent=2) + "\n").encode(),
        ChecksumAlgorithm="SHA256",
        ContentType="application/json",
    )
    head = s3.head_object(Bucket=bucket, Key=prefix + "digests.json")
    lock = head.get("ObjectLockMode")
    until = head.get("ObjectLockRetainUntilDate")
    from dataroom.application import room_stack_id

    print(f"dataroom retire: wrote {len(files) + 1} object(s) to s3://{bucket}/{prefix}")
    for _, key in files:
        print(f"  {digests[key]}  {key}")
    print(
        f"  object lock: {lock or 'bucket default'}"
        + (f" until {until.isoformat() if hasattr(until, 'isoformat') else until}" if until else "")
    )
    print(
        "\nNext:\n"
        f"  1. cdk destroy {room_stack_id(manifest, room)} -c manifest={args.manifest}\n"
        "     (the trail, logs, results, evidence buckets and the room key are retained)\n"
        f"  2. move room {room.name} from 'rooms:' to 'retired:' in {args.manifest}:\n"
        "     retired:\n"
        f"       - name: {room.name}\n"
        f'         account: "{room.account}"\n'
        f"         retired_on: {now.date().isoformat()}\n"
        f"         ticket: {room.ticket}\n"
        f"         evidence: s3://{bucket}/{prefix}\n"
        f"     `dataroom validate` then refuses a new room in account {room.account} without "
        "'reuse_retired_account'."
    )
    return 0


# --- wiring -------------------------------------------------------------------------------------


def _load(path: str) -> Manifest:
    # Expiry is judged here, not by validation: an expired room is exactly what these commands
    # must still see (dt.date.min turns the manifest's "expired room" check off, and so the
    # room-duration check, which counts from that same day, is lifted with it).
    try:
        return load_manifest(
            path, today=dt.date.min, max_room_days=(dt.date.max - dt.date.min).days
        )
    except ManifestError as exc:
        raise LifecycleCommandError(str(exc)) from None


def _room(manifest: Manifest, name: str) -> Room:
    try:
        return manifest.room(name)
    except KeyError:
        known = ", ".join(r.name for r in manifest.rooms)
        raise LifecycleCommandError(
            f"{manifest.source}: no room {name!r} (rooms: {known})"
        ) from None


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _run(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except LifecycleCommandError as exc:
            print(f"dataroom {args.command}: {exc}", file=sys.stderr)
            return 2

    return run


def add_lifecycle_commands(sub: Any) -> None:
    """Register ``rooms``, ``unfreeze`` and ``retire`` on the CLI's subparsers."""

    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--manifest", default="examples/rooms.yaml")
        parser.add_argument(
            "--endpoint-url", help="a local AWS endpoint such as moto (or set AWS_ENDPOINT_URL)"
        )
        parser.add_argument(
            "--assume-role",
            metavar="NAME",
            help="role name to assume in each room account other than the credentials' own",
        )
        parser.add_argument(
            "--today", type=_date, help="judge expiry against this day, YYYY-MM-DD (default today)"
        )

    rooms = sub.add_parser(
        "rooms",
        help="list every room: phase, expiry, budget, deployed, frozen (LCY-1, LCY-2)",
        description="Exit 0: fine; 1: a room is expired but still deployed; 2: usage problem.",
    )
    common(rooms)
    rooms.add_argument("--json", action="store_true", help="one JSON document on stdout")
    rooms.add_argument("--offline", action="store_true", help="manifest only; do not call AWS")
    rooms.set_defaults(func=_run(_rooms))

    unfreeze = sub.add_parser(
        "unfreeze", help="detach the room's freeze policy from its roles (LCY-1, LCY-2)"
    )
    unfreeze.add_argument("room")
    common(unfreeze)
    unfreeze.add_argument(
        "--production",
        action="store_true",
        help="unfreeze the production read role instead (credentials of the production account)",
    )
    unfreeze.add_argument(
        "--force", action="store_true", help="unfreeze even though the room has expired"
    )
    unfreeze.set_defaults(func=_run(_unfreeze))

    retire = sub.add_parser(
        "retire",
        help="keep a room's final evidence in its object-locked bucket, then say how to "
        "destroy it (LCY-3)",
    )
    retire.add_argument("room")
    common(retire)
    retire.add_argument("--review", default="review", help="`dataroom review` output directory")
    retire.add_argument(
        "--exports", nargs="+", metavar="PATH", help="exported files or directories to keep"
    )
    retire.add_argument("--audit", metavar="FILE", help="the last `dataroom audit --json` output")
    retire.add_argument("--bucket", help="evidence bucket (default: the stack's output)")
    retire.set_defaults(func=_run(_retire))
