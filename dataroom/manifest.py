"""The room manifest: the one file a user edits.

The manifest is parsed with ``yaml.safe_load`` and validated into frozen pydantic models *before*
any construct is built, so a wrong manifest never reaches jsii. Every problem is reported at once,
each message naming the file, the line, the field path and what was expected, e.g.::

    examples/rooms.yaml:14: rooms[0].account: '12345' is not a 12-digit AWS account id

Validation runs in two passes. Pass one validates each section on its own (production, each
dataset, each room), so one bad room does not hide the errors of the next. Pass two applies the
rules that relate sections to each other (unique names, known datasets, expiry, the data-mixing
governance rules of CHG-2) to whatever pass one accepted.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from dataroom.controls.monitoring import (
    ALL_GUARDDUTY_FEATURES,
    DEFAULT_MIN_SEVERITY,
    GuardDutyFeature,
)

__all__ = [
    "DATA_PHASES",
    "Classification",
    "Dataset",
    "DatasetGrant",
    "Manifest",
    "ManifestError",
    "Phase",
    "Production",
    "Room",
    "Tenancy",
    "load_manifest",
    "parse_manifest",
]


class Phase(StrEnum):
    """Lifecycle phase of a room (DESIGN.md, "Lifecycle phases")."""

    DEFINITION = "definition"
    EXPLORATION = "exploration"
    IMPLEMENTATION = "implementation"
    PREPROD = "preprod"
    PRODUCTION_A = "production-a"
    PRODUCTION_B = "production-b"


#: Phases that get read-only access to production data (IAM-6). Every other phase gets none.
DATA_PHASES: frozenset[Phase] = frozenset(
    {Phase.EXPLORATION, Phase.PRODUCTION_A, Phase.PRODUCTION_B}
)


class Classification(StrEnum):
    """Data classification, weakest first."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"


class Tenancy(StrEnum):
    """Whether a dataset (or a room) holds one customer's data or many customers' data."""

    SINGLE_TENANT = "single-tenant"
    MULTI_TENANT = "multi-tenant"


#: Data categories whose presence alone makes a room need a mixing justification (CHG-2).
SENSITIVE_CONTENTS: frozenset[str] = frozenset({"hr", "phi"})
KNOWN_CONTENTS: frozenset[str] = frozenset(
    {"pii", "phi", "hr", "credentials", "financial", "telemetry", "customer-content"}
)

# --- field types -------------------------------------------------------------------------------

_ACCOUNT_RE = re.compile(r"^\d{12}$")
_REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_ORG_RE = re.compile(r"^o-[a-z0-9]{10,32}$")
_ROOM_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
_DATASET_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[A-Za-z0-9+=,.@_/-]{1,512}$")
_KMS_KEY_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):key/"
    r"(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)
_EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_TICKET_RE = re.compile(r"^[A-Z][A-Z0-9_]+-\d+$")
_PREFIX_RE = re.compile(r"^[A-Za-z0-9!_.()'=-][A-Za-z0-9!_.()'=/-]*/$")


def _error(message: str) -> PydanticCustomError:
    # The message is passed as context so braces in user input are never read as a template.
    return PydanticCustomError("dataroom", "{message}", {"message": message})


def _check(pattern: re.Pattern[str], what: str) -> Any:
    def validate(value: str) -> str:
        if not pattern.fullmatch(value):
            raise _error(f"{value!r} is not {what}")
        return value

    return AfterValidator(validate)


def _bucket_name(value: str) -> str:
    problems = []
    if not _BUCKET_RE.fullmatch(value):
        problems.append(
            "3-63 characters of a-z, 0-9, '.' and '-', starting and ending alphanumeric"
        )
    if ".." in value or ".-" in value or "-." in value:
        problems.append("no adjacent '.', '.-' or '-.'")
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", value):
        problems.append("not formatted as an IP address")
    if value.startswith(("xn--", "sthree-")) or value.endswith(("-s3alias", "--ol-s3", ".mrap")):
        problems.append("no reserved prefix or suffix (xn--, sthree-, -s3alias, --ol-s3, .mrap)")
    if problems:
        raise _error(f"{value!r} is not a valid S3 bucket name: expected {'; '.join(problems)}")
    return value


def _prefix(value: str) -> str:
    if "*" in value or "?" in value:
        raise _error(
            f"{value!r} contains a wildcard; a prefix is literal, a wildcard would widen the grant"
        )
    if not _PREFIX_RE.fullmatch(value) or "//" in value or "/../" in f"/{value}":
        raise _error(
            f"{value!r} is not an S3 key prefix: expected a relative path such as "
            "'events/process/' (no leading '/', ending in '/')"
        )
    return value


def _not_blank(min_length: int) -> Any:
    def validate(value: str) -> str:
        stripped = value.strip()
        if len(stripped) < min_length or set(stripped) <= {".", "-", "_", " "}:
            raise _error(
                f"{value!r} is not a real statement: expected at least {min_length} "
                "meaningful characters"
            )
        return stripped

    return AfterValidator(validate)


def _no_date_coercion(value: Any) -> Any:
    # YAML turns 2027-03-31 into a date; a bare number must not sneak through as epoch seconds.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise _error(f"{value!r} is not a date: expected YYYY-MM-DD")
    return value


def _cidr(value: str) -> str:
    try:
        net = ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise _error(f"{value!r} is not an IPv4 CIDR block ({exc})") from None
    if not net.is_private or not 16 <= net.prefixlen <= 24:
        raise _error(f"{value!r} is not a private IPv4 block between /16 and /24 (RFC 1918)")
    return value


AccountId = Annotated[
    str,
    BeforeValidator(lambda v: str(v) if isinstance(v, int) else v),
    _check(_ACCOUNT_RE, "a 12-digit AWS account id"),
]
Region = Annotated[str, _check(_REGION_RE, "an AWS region name such as 'us-east-1'")]
OrganizationId = Annotated[str, _check(_ORG_RE, "an AWS Organizations id such as 'o-a1b2c3d4e5'")]
RoomName = Annotated[
    str,
    _check(
        _ROOM_NAME_RE,
        "a room name: 3-32 characters of a-z, 0-9 and '-', starting with a "
        "letter and not ending with '-' (it is used in resource names)",
    ),
]
DatasetName = Annotated[
    str, _check(_DATASET_NAME_RE, "a dataset name: lower-case letters, digits and '-'")
]
BucketName = Annotated[str, AfterValidator(_bucket_name)]
KeyPrefix = Annotated[str, AfterValidator(_prefix)]
RoleArn = Annotated[
    str,
    _check(
        _ROLE_ARN_RE,
        "an IAM role ARN such as 'arn:aws:iam::222222222222:role/DataScientist' "
        "(account roots, users and wildcards are not allowed)",
    ),
]
KmsKeyArn = Annotated[
    str,
    _check(
        _KMS_KEY_ARN_RE, "a KMS key ARN such as 'arn:aws:kms:us-east-1:111111111111:key/<uuid>'"
    ),
]
Email = Annotated[str, _check(_EMAIL_RE, "an e-mail address")]
Ticket = Annotated[str, _check(_TICKET_RE, "a ticket id such as 'SEC-1234'")]
Statement = Annotated[str, _not_blank(10)]
Cidr = Annotated[str, AfterValidator(_cidr)]
Date = Annotated[dt.date, BeforeValidator(_no_date_coercion)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Production(_Frozen):
    """Where production data lives."""

    account: AccountId
    region: Region
    organization_id: OrganizationId | None = None


class Dataset(_Frozen):
    """One entry of the production dataset catalog."""

    name: DatasetName
    bucket: BucketName
    prefix: KeyPrefix
    kms_key_arn: KmsKeyArn | None = None
    classification: Classification
    tenancy: Tenancy
    contains: tuple[str, ...] = ()
    description: str = ""

    @property
    def sensitive(self) -> bool:
        """True when the dataset alone already needs a mixing justification (CHG-2)."""
        return self.classification is Classification.RESTRICTED or bool(
            SENSITIVE_CONTENTS.intersection(self.contains)
        )


PriorName = Annotated[
    str,
    _check(
        re.compile(r"^[a-z][a-z0-9-]{0,62}$"),
        "a prior name: 1-63 characters of a-z, 0-9 and '-', starting with a letter",
    ),
]


class Prior(_Frozen):
    """A model prior the room needs (CHG-4): declared here, its value set only in the secret.

    The manifest names a prior and says what it is; it never holds the value. The room gets a
    KMS-encrypted Secrets Manager secret per prior, readable by its roles, whose value the owner
    sets with ``aws secretsmanager put-secret-value`` (so the value is in no template, context
    or environment variable).
    """

    name: PriorName
    description: Statement


class DatasetGrant(_Frozen):
    """A room's request to read one catalog dataset, with the reason."""

    name: DatasetName
    justification: Statement


# GuardDuty feature names are a control fact (MON-3), defined in the catalogue.
DetectorId = Annotated[str, _check(re.compile(r"^[a-f0-9]{32}$"), "a GuardDuty detector id")]


class Monitoring(_Frozen):
    """How a room is watched (MON-1..5). Every default is the strict one."""

    alert_emails: tuple[Email, ...] = Field(
        default=(), description="besides the manifest's security_approvers"
    )
    min_finding_severity: float = Field(default=DEFAULT_MIN_SEVERITY, ge=1.0, le=10.0)
    guardduty_features: tuple[GuardDutyFeature, ...] = ALL_GUARDDUTY_FEATURES
    existing_guardduty_detector_id: DetectorId | None = None
    existing_config_recorder: bool = False
    trail_lock_days: int = Field(default=365, ge=365, le=3650)
    log_retention_days: Literal[365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] = 365


class Room(_Frozen):
    """One data room: a glovebox over the datasets it was approved to read."""

    name: RoomName
    account: AccountId
    region: Region | None = Field(default=None, description="defaults to the production region")
    phase: Phase
    hypothesis: Statement
    ticket: Ticket
    owner: Email
    approvers: tuple[Email, ...] = Field(min_length=1)
    expires: Date
    principals: tuple[RoleArn, ...] = Field(min_length=1)
    tenancy: Tenancy = Tenancy.SINGLE_TENANT
    datasets: tuple[DatasetGrant, ...] = ()
    mixing_justification: Statement | None = None
    query_limit_gb: int = Field(default=10, ge=1, le=1024)
    vpc_cidr: Cidr = "10.80.0.0/22"
    monitoring: Monitoring = Monitoring()
    priors: tuple[Prior, ...] = ()

    @property
    def reads_production(self) -> bool:
        """Whether the phase grants read-only production access (IAM-6)."""
        return self.phase in DATA_PHASES

    def dataset_names(self) -> tuple[str, ...]:
        """Names of the datasets this room asked for, in manifest order."""
        return tuple(grant.name for grant in self.datasets)


class Manifest(_Frozen):
    """A validated manifest. Build it with :func:`load_manifest` or :func:`parse_manifest`."""

    source: str = "<memory>"
    production: Production
    security_approvers: tuple[Email, ...] = ()
    datasets: tuple[Dataset, ...]
    rooms: tuple[Room, ...] = Field(min_length=1)

    def dataset(self, name: str) -> Dataset:
        """The catalog entry called ``name``; ``KeyError`` when it does not exist."""
        for dataset in self.datasets:
            if dataset.name == name:
                return dataset
        raise KeyError(name)

    def room(self, name: str) -> Room:
        """The room called ``name``; ``KeyError`` when it does not exist."""
        for room in self.rooms:
            if room.name == name:
                return room
        raise KeyError(name)

    def room_datasets(self, room: Room) -> tuple[Dataset, ...]:
        """The catalog entries a room asked for."""
        return tuple(self.dataset(name) for name in room.dataset_names())

    def room_region(self, room: Room) -> str:
        """The region a room is deployed to."""
        return room.region or self.production.region


# --- errors ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a manifest."""

    path: str
    message: str
    line: int | None = None

    def render(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line else source
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ManifestError(ValueError):
    """A manifest that cannot be used. ``str()`` lists every problem, one per line."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        lines = [p.render(source) for p in self.problems]
        super().__init__(
            f"{source}: {len(lines)} problem(s) in the room manifest\n" + "\n".join(lines)
        )

    @property
    def messages(self) -> list[str]:
        """Each problem as one line: ``file:line: path: message``."""
        return [p.render(self.source) for p in self.problems]


def _render_path(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class _Lines:
    """Maps a field path to the YAML line it came from, for messages a person can act on."""

    def __init__(self, text: str) -> None:
        try:
            self._root: yaml.Node | None = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            self._root = None

    def line(self, loc: Sequence[str | int]) -> int | None:
        node = self._root
        best = node.start_mark.line + 1 if node is not None else None
        for part in loc:
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                nxt = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
                if nxt is None:
                    return best
                best = next(k for k, v in node.value if v is nxt).start_mark.line + 1
                node = nxt
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    return best
                node = node.value[part]
                best = node.start_mark.line + 1
            else:
                return best
        return best


def _problems_from(
    error: ValidationError, prefix: Sequence[str | int], lines: _Lines
) -> list[Problem]:
    out = []
    for item in error.errors(include_url=False):
        loc = [*prefix, *[p for p in item["loc"] if not (isinstance(p, str) and "[" in p)]]
        value = item.get("input")
        kind = item["type"]
        if kind == "dataroom":
            message = item["msg"]
        elif kind == "missing":
            message = "is required"
        elif kind == "extra_forbidden" and "priors" in item["loc"]:
            message = (
                "is not a field of a prior: a prior's value never goes in the manifest (CHG-4); "
                "set it in the room's secret with `aws secretsmanager put-secret-value`"
            )
        elif kind == "extra_forbidden":
            message = "is not a known field (check the spelling; unknown fields are rejected)"
        elif kind in ("enum", "literal_error"):
            expected = item.get("ctx", {}).get("expected", "")
            message = f"{value!r} is not one of {expected}"
        else:
            message = f"{value!r}: {item['msg'].removeprefix('Value error, ')}"
            if kind in ("too_short", "too_long") and isinstance(value, list | tuple):
                message = f"{item['msg']}"
        out.append(Problem(_render_path(loc), message, lines.line(loc)))
    return out


# --- parsing -----------------------------------------------------------------------------------


def load_manifest(path: str | Path, *, today: dt.date | None = None) -> Manifest:
    """Read and validate a manifest file; raise :class:`ManifestError` listing every problem."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(
            source, [Problem("", f"cannot read the manifest: {exc.strerror}")]
        ) from None
    return parse_manifest(text, source=source, today=today)


def parse_manifest(
    text: str, *, source: str = "<memory>", today: dt.date | None = None
) -> Manifest:
    """Validate manifest text. ``today`` fixes the date expiry is judged against (tests)."""
    today = today or dt.date.today()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ManifestError(source, [Problem("", f"not valid YAML: {exc}", line)]) from None
    if not isinstance(data, Mapping):
        raise ManifestError(
            source, [Problem("", "expected a mapping with 'production', 'datasets' and 'rooms'", 1)]
        )

    lines = _Lines(text)
    problems: list[Problem] = []

    known_top = {"production", "security_approvers", "datasets", "rooms"}
    for key in data:
        if key not in known_top:
            problems.append(
                Problem(
                    str(key),
                    f"is not a known field (expected one of {', '.join(sorted(known_top))})",
                    lines.line([str(key)]),
                )
            )

    def section(model: Any, value: Any, loc: list[str | int]) -> Any:
        try:
            return TypeAdapter(model).validate_python(value)
        except ValidationError as exc:
            problems.extend(_problems_from(exc, loc, lines))
            return None

    production = None
    if "production" not in data:
        problems.append(Problem("production", "is required", 1))
    else:
        production = section(Production, data["production"], ["production"])

    security_approvers = (
        section(tuple[Email, ...], data.get("security_approvers") or (), ["security_approvers"])
        or ()
    )

    datasets: list[tuple[int, Dataset]] = []
    raw_datasets = data.get("datasets")
    if not isinstance(raw_datasets, list) or not raw_datasets:
        problems.append(
            Problem(
                "datasets",
                "expected a non-empty list of catalog datasets",
                lines.line(["datasets"]) or 1,
            )
        )
        raw_datasets = []
    for i, raw in enumerate(raw_datasets):
        ds = section(Dataset, raw, ["datasets", i])
        if ds is not None:
            datasets.append((i, ds))

    rooms: list[tuple[int, Room]] = []
    raw_rooms = data.get("rooms")
    if not isinstance(raw_rooms, list) or not raw_rooms:
        problems.append(
            Problem("rooms", "expected a non-empty list of rooms", lines.line(["rooms"]) or 1)
        )
        raw_rooms = []
    for i, raw in enumerate(raw_rooms):
        room = section(Room, raw, ["rooms", i])
        if room is not None:
            rooms.append((i, room))

    raw_names = {raw.get("name") for raw in raw_datasets if isinstance(raw, Mapping)}
    catalog = {ds.name: ds for _, ds in datasets}
    problems.extend(
        _cross_checks(
            production, security_approvers, datasets, rooms, catalog, raw_names, today, lines
        )
    )

    if problems:
        raise ManifestError(source, sorted(problems, key=lambda p: p.line or 0))
    assert production is not None
    return Manifest(
        source=source,
        production=production,
        security_approvers=tuple(security_approvers),
        datasets=tuple(ds for _, ds in datasets),
        rooms=tuple(room for _, room in rooms),
    )


def _cross_checks(
    production: Production | None,
    security_approvers: Sequence[str],
    datasets: Sequence[tuple[int, Dataset]],
    rooms: Sequence[tuple[int, Room]],
    catalog: Mapping[str, Dataset],
    raw_dataset_names: set[Any],
    today: dt.date,
    lines: _Lines,
) -> list[Problem]:
    problems: list[Problem] = []

    def add(loc: list[str | int], message: str) -> None:
        problems.append(Problem(_render_path(loc), message, lines.line(loc)))

    seen: dict[str, int] = {}
    for i, ds in datasets:
        if ds.name in seen:
            add(
                ["datasets", i, "name"],
                f"{ds.name!r} is already used by datasets[{seen[ds.name]}]; "
                "dataset names must be unique",
            )
        seen.setdefault(ds.name, i)
        if production is not None and ds.kms_key_arn:
            match = _KMS_KEY_ARN_RE.fullmatch(ds.kms_key_arn)
            assert match is not None
            if match.group(2) != production.account:
                add(
                    ["datasets", i, "kms_key_arn"],
                    f"{ds.kms_key_arn!r} is in account {match.group(2)}, expected the production "
                    f"account {production.account}",
                )
        unknown = sorted(set(ds.contains) - KNOWN_CONTENTS)
        if unknown:
            add(
                ["datasets", i, "contains"],
                f"{unknown} not known: expected any of {sorted(KNOWN_CONTENTS)}",
            )

    room_seen: dict[str, int] = {}
    for i, room in rooms:
        loc: list[str | int] = ["rooms", i]
        if room.name in room_seen:
            add(
                [*loc, "name"],
                f"{room.name!r} is already used by rooms[{room_seen[room.name]}]; "
                "room names must be unique",
            )
        room_seen.setdefault(room.name, i)

        for j, principal in enumerate(room.principals):
            match = _ROLE_ARN_RE.fullmatch(principal)
            assert match is not None
            if match.group(1) != room.account:
                add(
                    [*loc, "principals", j],
                    f"{principal!r} is in account {match.group(1)}; a room's principals must be "
                    f"roles of the room's own account {room.account}",
                )

        priors_seen: set[str] = set()
        for j, prior in enumerate(room.priors):
            if prior.name in priors_seen:
                add([*loc, "priors", j, "name"], f"{prior.name!r} is listed twice")
            priors_seen.add(prior.name)

        grants_seen: set[str] = set()
        for j, grant in enumerate(room.datasets):
            if grant.name in grants_seen:
                add([*loc, "datasets", j, "name"], f"{grant.name!r} is listed twice")
            grants_seen.add(grant.name)
            if grant.name not in catalog and grant.name not in raw_dataset_names:
                known = ", ".join(sorted(catalog)) or "none"
                add(
                    [*loc, "datasets", j, "name"],
                    f"{grant.name!r} is not a dataset of the catalog (known: {known})",
                )

        if room.reads_production and room.expires < today:
            add(
                [*loc, "expires"],
                f"{room.expires.isoformat()} is in the past: an expired room grants nothing; "
                "extend it with a new approval or move it to phase 'definition'",
            )
        if room.reads_production and not room.datasets:
            add(
                [*loc, "datasets"],
                f"phase {room.phase.value!r} reads production data: expected "
                "at least one dataset with a justification",
            )

        wanted = [catalog[g.name] for g in room.datasets if g.name in catalog]
        problems.extend(_mixing_problems(room, loc, wanted, security_approvers, lines))
    return problems


def _mixing_problems(
    room: Room,
    loc: list[str | int],
    wanted: Sequence[Dataset],
    security_approvers: Sequence[str],
    lines: _Lines,
) -> list[Problem]:
    """CHG-2: data mixing needs a written justification and a security approver."""
    out: list[Problem] = []
    for ds in wanted:
        if ds.tenancy is Tenancy.MULTI_TENANT and room.tenancy is Tenancy.SINGLE_TENANT:
            path = [*loc, "tenancy"]
            out.append(
                Problem(
                    _render_path(path),
                    f"room {room.name!r} is single-tenant but dataset {ds.name!r} is "
                    "multi-tenant: declare 'tenancy: multi-tenant' (with the mixing "
                    "rules that follow) or choose a single-tenant dataset",
                    lines.line(path),
                )
            )
    reasons = []
    classes = sorted({ds.classification.value for ds in wanted})
    tenancies = sorted({ds.tenancy.value for ds in wanted})
    if len(classes) > 1:
        reasons.append(f"mixes classifications {classes}")
    if len(tenancies) > 1:
        reasons.append(f"mixes tenancies {tenancies}")
    sensitive = [ds.name for ds in wanted if ds.sensitive]
    if sensitive:
        reasons.append(f"reads hr/phi/restricted data ({', '.join(sensitive)})")
    if not reasons:
        return out
    names = ", ".join(ds.name for ds in wanted)
    why = "; ".join(reasons)
    if room.mixing_justification is None:
        path = [*loc, "mixing_justification"]
        out.append(
            Problem(
                _render_path(path),
                f"room {room.name!r} {why} (datasets: {names}): expected a mixing_justification",
                lines.line(loc),
            )
        )
    if not set(room.approvers) & set(security_approvers):
        path = [*loc, "approvers"]
        listed = ", ".join(security_approvers) or "none are declared in 'security_approvers'"
        out.append(
            Problem(
                _render_path(path),
                f"room {room.name!r} {why} (datasets: {names}): expected at least one "
                f"security approver ({listed})",
                lines.line(path),
            )
        )
    return out
