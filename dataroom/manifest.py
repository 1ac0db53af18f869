"""The room manifest: the one file a user edits.

The manifest is read once by :func:`dataroom.manifest_yaml.read_yaml` (libyaml's C parser where it
is installed; repeated keys, anchors, aliases, excessive nesting or size refused) and validated
into frozen pydantic models *before* any construct is built, so a wrong manifest never reaches
jsii. Every problem is reported at once, each message naming the file, the line, the field path
and what was expected, e.g.::

    examples/rooms.yaml:14: rooms[0].account: '12345' is not a 12-digit AWS account id

Every value a message echoes is shortened (:func:`dataroom.manifest_yaml.shorten`), and nothing
under a room's ``priors`` is ever echoed (CHG-4).

Validation runs in two passes. Pass one validates each section on its own (production, each
dataset, each room), so one bad room does not hide the errors of the next. Pass two applies the
rules that relate sections to each other (unique names, known datasets, partitions and regions,
overlapping catalogue entries, two people per approval, account-level singletons, room duration,
the data-mixing governance rules of CHG-2) to whatever pass one accepted. Every check a construct
makes on a manifest value is made here first, so ``dataroom validate`` and ``cdk synth`` agree.
The rules are listed in docs/manifest.md.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from dataroom.aws_regions import known_partitions, partition_of
from dataroom.controls.monitoring import (
    ALL_GUARDDUTY_FEATURES,
    DEFAULT_MIN_SEVERITY,
    GuardDutyFeature,
)
from dataroom.manifest_yaml import (
    MAX_BYTES,
    FieldPath,
    ManifestYamlError,
    NumberText,
    ParsedYaml,
    decode,
    read_yaml,
    shorten,
)
from dataroom.spec.airlock import RoomAirlock
from dataroom.spec.lifecycle import (
    DEFAULT_BUDGET_USD_MONTH,
    BudgetUsdMonth,
    RetiredRoom,
    lifecycle_problems,
)
from dataroom.spec.results import Results, results_problems
from dataroom.spec.workbench import Workbench

__all__ = [
    "DATA_PHASES",
    "DEFAULT_MAX_ROOM_DAYS",
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

#: The longest a room may last from the day it is validated, unless the baseline says otherwise.
DEFAULT_MAX_ROOM_DAYS = 180
#: Room names whose resource names would collide with the production-side stack's.
RESERVED_ROOM_NAMES: frozenset[str] = frozenset({"production-access", "production-reads"})
#: CloudTrail accepts this many S3 data resources per trail (the production read trail, MON-2).
MAX_TRAIL_DATA_RESOURCES = 250
#: CloudTrail trails per account and region; a multi-region trail counts in every region.
MAX_TRAILS_PER_REGION = 5
#: The private ranges of RFC 1918, the only ones a glovebox VPC may use.
RFC1918: tuple[ipaddress.IPv4Network, ...] = (
    ipaddress.IPv4Network("10.0.0.0/8"),
    ipaddress.IPv4Network("172.16.0.0/12"),
    ipaddress.IPv4Network("192.168.0.0/16"),
)

# --- field types -------------------------------------------------------------------------------
# Every pattern is ASCII-only ([0-9], never \d, which also matches full-width and other digits).

_ACCOUNT_RE = re.compile(r"^[0-9]{12}$")
_ORG_RE = re.compile(r"^o-[a-z0-9]{10,32}$")
_ROOM_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
_DATASET_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ROLE_ARN_RE = re.compile(
    r"^arn:([a-z-]+):iam::([0-9]{12}):role/[A-Za-z0-9+=,.@_/-]{1,512}$", re.ASCII
)
_KMS_KEY_ARN_RE = re.compile(
    r"^arn:([a-z-]+):kms:([a-z0-9-]+):([0-9]{12}):key/"
    r"(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)
_TICKET_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,31}-[0-9]{1,20}$")
_PREFIX_RE = re.compile(r"^[A-Za-z0-9!_.()'=-][A-Za-z0-9!_.()'=/-]*/$")
_DETECTOR_RE = re.compile(r"^[a-f0-9]{32}$")
_PRIOR_RE = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
_IP_LIKE_RE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$")

#: Longest free-text statement (hypothesis, justification, description).
MAX_STATEMENT_CHARS = 2000
#: Longest S3 key prefix (S3 keys are at most 1024 bytes).
MAX_PREFIX_CHARS = 1024


def _error(message: str, *, redacted: str | None = None) -> PydanticCustomError:
    # The message is passed as context so braces in user input are never read as a template;
    # ``redacted`` is what is shown instead where a value must never be echoed (priors, CHG-4).
    return PydanticCustomError(
        "dataroom", "{message}", {"message": message, "redacted": redacted or message}
    )


def _check(pattern: re.Pattern[str], what: str) -> Any:
    def validate(value: str) -> str:
        if not pattern.fullmatch(value):
            raise _error(f"{shorten(value)} is not {what}", redacted=f"is not {what}")
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
    if _IP_LIKE_RE.fullmatch(value):
        problems.append("not formatted as an IP address")
    if value.startswith(("xn--", "sthree-")) or value.endswith(("-s3alias", "--ol-s3", ".mrap")):
        problems.append("no reserved prefix or suffix (xn--, sthree-, -s3alias, --ol-s3, .mrap)")
    if problems:
        raise _error(
            f"{shorten(value)} is not a valid S3 bucket name: expected {'; '.join(problems)}"
        )
    return value


def _prefix(value: str) -> str:
    if "*" in value or "?" in value:
        raise _error(
            f"{shorten(value)} contains a wildcard; a prefix is literal, a wildcard would widen "
            "the grant"
        )
    if (
        len(value) > MAX_PREFIX_CHARS
        or not _PREFIX_RE.fullmatch(value)
        or "//" in value
        or "/../" in f"/{value}"
        or "/./" in f"/{value}"
    ):
        raise _error(
            f"{shorten(value)} is not an S3 key prefix: expected a relative path such as "
            f"'events/process/' (no leading '/', ending in '/', at most {MAX_PREFIX_CHARS} "
            "characters)"
        )
    return value


def _not_blank(min_length: int) -> Any:
    def validate(value: str) -> str:
        stripped = value.strip()
        if len(stripped) < min_length or set(stripped) <= {".", "-", "_", " "}:
            raise _error(
                f"{shorten(value)} is not a real statement: expected at least {min_length} "
                "meaningful characters",
                redacted=f"is not a real statement: expected at least {min_length} meaningful "
                "characters",
            )
        if len(stripped) > MAX_STATEMENT_CHARS:
            raise _error(
                f"is {len(stripped)} characters long: expected at most {MAX_STATEMENT_CHARS}"
            )
        return stripped

    return AfterValidator(validate)


def _no_date_coercion(value: Any) -> Any:
    # YAML turns 2027-03-31 into a date; a bare number must not sneak through as epoch seconds.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise _error(f"{shorten(value)} is not a date: expected YYYY-MM-DD")
    return value


def _cidr(value: str) -> str:
    try:
        net = ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise _error(
            f"{shorten(value)} is not an IPv4 CIDR block ({shorten(str(exc), 80)})"
        ) from None
    if not any(net.subnet_of(private) for private in RFC1918) or not 16 <= net.prefixlen <= 24:
        raise _error(
            f"{shorten(value)} is not a private IPv4 block between /16 and /24 inside RFC 1918 "
            "(10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)"
        )
    return value


def _account_input(value: Any) -> Any:
    if isinstance(value, NumberText):
        raise _error(
            f"{shorten(value.text)} was read by YAML as the number {int(value)}: quote it "
            f'("{shorten(value.text, 20)[1:-1]}") so every digit is kept'
        )
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _region(value: str) -> str:
    if partition_of(value) is None:
        raise _error(
            f"{shorten(value)} is not an AWS region name such as 'us-east-1' (botocore's list of "
            "regions does not have it)"
        )
    return value


@functools.lru_cache(maxsize=65536)
def _email(value: str) -> str:
    # email-validator (the library pydantic's EmailStr uses): dot-atom local part, a domain of
    # real labels with a dot, no "..", no quoted or IP-literal forms. ASCII only: a non-ASCII
    # address is where lookalike characters hide.
    if not value.isascii():
        raise _error(
            f"{shorten(value)} is not an e-mail address: expected ASCII characters only "
            "(non-ASCII letters can look like ASCII ones)"
        )
    try:
        result = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        reason = shorten(str(exc), 100)[1:-1]
        raise _error(f"{shorten(value)} is not an e-mail address: {reason}") from None
    return str(result.normalized)


def _email_input(value: Any) -> Any:
    return _email(value) if isinstance(value, str) else value


def _json(description: str, pattern: re.Pattern[str] | None = None, **extra: Any) -> Any:
    # What editors see (dataroom/schemas/manifest.schema.json); validation is the code above.
    schema: dict[str, Any] = {"type": "string", "description": description, **extra}
    if pattern is not None:
        schema["pattern"] = pattern.pattern
    return WithJsonSchema(schema)


AccountId = Annotated[
    str,
    BeforeValidator(_account_input),
    _check(_ACCOUNT_RE, "a 12-digit AWS account id"),
    _json("a 12-digit AWS account id, quoted", _ACCOUNT_RE),
]
Region = Annotated[
    str, AfterValidator(_region), _json("an AWS region such as us-east-1 (botocore's list)")
]
OrganizationId = Annotated[
    str,
    _check(_ORG_RE, "an AWS Organizations id such as 'o-a1b2c3d4e5'"),
    _json("an AWS Organizations id", _ORG_RE),
]
RoomName = Annotated[
    str,
    _check(
        _ROOM_NAME_RE,
        "a room name: 3-32 characters of a-z, 0-9 and '-', starting with a "
        "letter and not ending with '-' (it is used in resource names)",
    ),
    _json("3-32 characters of a-z, 0-9 and '-' (used in resource names)", _ROOM_NAME_RE),
]
DatasetName = Annotated[
    str,
    _check(_DATASET_NAME_RE, "a dataset name: lower-case letters, digits and '-'"),
    _json("lower-case letters, digits and '-'", _DATASET_NAME_RE),
]
BucketName = Annotated[str, AfterValidator(_bucket_name), _json("an S3 bucket name", _BUCKET_RE)]
KeyPrefix = Annotated[
    str,
    AfterValidator(_prefix),
    _json("a literal S3 key prefix ending in '/'", _PREFIX_RE, maxLength=MAX_PREFIX_CHARS),
]
RoleArn = Annotated[
    str,
    _check(
        _ROLE_ARN_RE,
        "an IAM role ARN such as 'arn:aws:iam::222222222222:role/DataScientist' "
        "(account roots, users and wildcards are not allowed)",
    ),
    _json("an IAM role ARN of the room's account", _ROLE_ARN_RE),
]
KmsKeyArn = Annotated[
    str,
    _check(
        _KMS_KEY_ARN_RE, "a KMS key ARN such as 'arn:aws:kms:us-east-1:111111111111:key/<uuid>'"
    ),
    _json("a KMS key ARN in the production account and region", _KMS_KEY_ARN_RE),
]
Email = Annotated[str, BeforeValidator(_email_input), _json("an e-mail address", format="email")]
Ticket = Annotated[
    str,
    _check(_TICKET_RE, "a ticket id such as 'SEC-1234' (at most 32 letters, then digits)"),
    _json("a ticket id such as SEC-1234", _TICKET_RE),
]
Statement = Annotated[
    str,
    _not_blank(10),
    _json("a statement of at least 10 characters", minLength=10, maxLength=MAX_STATEMENT_CHARS),
]
Cidr = Annotated[
    str, AfterValidator(_cidr), _json("a private IPv4 block (RFC 1918) between /16 and /24")
]
Date = Annotated[
    dt.date, BeforeValidator(_no_date_coercion), _json("a date, YYYY-MM-DD", format="date")
]


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
    description: str = Field(default="", max_length=MAX_STATEMENT_CHARS)

    @property
    def sensitive(self) -> bool:
        """True when the dataset alone already needs a mixing justification (CHG-2)."""
        return self.classification is Classification.RESTRICTED or bool(
            SENSITIVE_CONTENTS.intersection(self.contains)
        )


PriorName = Annotated[
    str,
    _check(
        _PRIOR_RE,
        "a prior name: 1-63 characters of a-z, 0-9 and '-', starting with a letter",
    ),
    _json("1-63 characters of a-z, 0-9 and '-'", _PRIOR_RE),
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
DetectorId = Annotated[
    str,
    _check(_DETECTOR_RE, "a GuardDuty detector id"),
    _json("a GuardDuty detector id", _DETECTOR_RE),
]


def _guardduty_features(value: tuple[str, ...]) -> tuple[str, ...]:
    # ThreatDetection refuses a detector without S3 protection (MON-3): say so before synth.
    if "S3_DATA_EVENTS" not in value:
        raise _error(
            f"{shorten(list(value))} lacks S3_DATA_EVENTS: a room exists to hold production "
            "data in S3, so GuardDuty's S3 protection is always on (MON-3)"
        )
    repeated = sorted({f for f in value if value.count(f) > 1})
    if repeated:
        raise _error(f"{repeated} listed more than once")
    return value


class Monitoring(_Frozen):
    """How a room is watched (MON-1..5). Every default is the strict one."""

    alert_emails: tuple[Email, ...] = Field(
        default=(), description="besides the manifest's security_approvers"
    )
    min_finding_severity: float = Field(
        default=DEFAULT_MIN_SEVERITY, ge=1.0, le=10.0, allow_inf_nan=False
    )
    guardduty_features: Annotated[
        tuple[GuardDutyFeature, ...], AfterValidator(_guardduty_features)
    ] = ALL_GUARDDUTY_FEATURES
    existing_guardduty_detector_id: DetectorId | None = None
    existing_config_recorder: bool = False
    trail_lock_days: int = Field(default=365, ge=365, le=3650)
    log_retention_days: Literal[365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] = 365


#: QRY-1: a room's bytes-scanned cut-off per Athena query, in GiB.
QueryLimitGb = Annotated[int, Field(ge=1, le=1024)]


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
    query_limit_gb: QueryLimitGb = 10
    vpc_cidr: Cidr = "10.80.0.0/22"
    monitoring: Monitoring = Monitoring()
    priors: tuple[Prior, ...] = ()
    results: Results | None = None
    workbench: Workbench | None = None
    budget_usd_month: BudgetUsdMonth = DEFAULT_BUDGET_USD_MONTH
    reuse_retired_account: Statement | None = None
    airlock: RoomAirlock = None

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
    retired: tuple[RetiredRoom, ...] = ()

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


def _is_prior(loc: Sequence[str | int]) -> bool:
    return "priors" in loc


#: What YAML made of an unquoted value, for "quote it" messages on text fields.
_YAML_TYPES = {bool: "true/false", int: "a number", float: "a number", dt.date: "a date"}


def _problems_from(
    error: ValidationError, prefix: Sequence[str | int], lines: ParsedYaml
) -> list[Problem]:
    out = []
    for item in error.errors(include_url=False):
        loc = [*prefix, *[p for p in item["loc"] if not (isinstance(p, str) and "[" in p)]]
        value = item.get("input")
        kind = item["type"]
        secret = _is_prior(loc)
        if kind == "dataroom":
            ctx = item.get("ctx") or {}
            message = str(ctx.get("redacted") if secret else ctx.get("message", item["msg"]))
        elif kind == "missing":
            message = "is required"
        elif kind == "extra_forbidden" and secret:
            message = (
                "is not a field of a prior: a prior's value never goes in the manifest (CHG-4); "
                "set it in the room's secret with `aws secretsmanager put-secret-value`"
            )
        elif kind == "extra_forbidden":
            message = "is not a known field (check the spelling; unknown fields are rejected)"
        elif secret:
            # Never echo anything under priors: a value there may be the prior itself (CHG-4).
            message = f"{item['msg']} (the value is not shown: priors are never echoed)"
        elif kind in ("enum", "literal_error"):
            expected = item.get("ctx", {}).get("expected", "")
            message = f"{shorten(value)} is not one of {expected}"
        elif kind == "string_type" and type(value) in _YAML_TYPES:
            message = (
                f"{shorten(value)} was read by YAML as {_YAML_TYPES[type(value)]}: "
                "quote it to make it text"
            )
        elif kind in ("too_short", "too_long") and isinstance(value, list | tuple):
            message = f"{item['msg']}"
        else:
            message = f"{shorten(value)}: {item['msg'].removeprefix('Value error, ')}"
        out.append(Problem(_render_path(loc), message, lines.line(loc)))
    return out


# --- parsing -----------------------------------------------------------------------------------


def load_manifest(
    path: str | Path,
    *,
    today: dt.date | None = None,
    max_room_days: int = DEFAULT_MAX_ROOM_DAYS,
) -> Manifest:
    """Read and validate a manifest file; raise :class:`ManifestError` listing every problem."""
    source = str(path)
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ManifestError(
            source, [Problem("", f"cannot read the manifest: {exc.strerror or exc}")]
        ) from None
    if len(raw) > MAX_BYTES:
        raise ManifestError(
            source,
            [Problem("", f"the manifest is larger than {MAX_BYTES // (1024 * 1024)} MiB", 1)],
        )
    try:
        text = decode(raw)
    except ManifestYamlError as exc:
        raise ManifestError(source, [Problem("", exc.message, exc.line)]) from None
    return parse_manifest(text, source=source, today=today, max_room_days=max_room_days)


_SECURITY_APPROVERS = TypeAdapter(tuple[Email, ...])
#: Rooms retired from this manifest (LCY-3), validated once per parse.
_RETIRED = TypeAdapter(tuple[RetiredRoom, ...])


def parse_manifest(
    text: str,
    *,
    source: str = "<memory>",
    today: dt.date | None = None,
    max_room_days: int = DEFAULT_MAX_ROOM_DAYS,
) -> Manifest:
    """Validate manifest text. ``today`` fixes the date expiry is judged against (tests).

    ``max_room_days`` is the longest a room may last from ``today`` (the baseline's
    ``max_room_days``).
    """
    today = today or dt.date.today()
    try:
        parsed = read_yaml(text)
    except ManifestYamlError as exc:
        message = exc.message
        if _is_prior(exc.path) and "characters long" not in message:
            message = "cannot be read (the value is not shown: priors are never echoed)"
        raise ManifestError(source, [Problem(_render_path(exc.path), message, exc.line)]) from None
    data = parsed.data
    if not isinstance(data, Mapping):
        raise ManifestError(
            source, [Problem("", "expected a mapping with 'production', 'datasets' and 'rooms'", 1)]
        )

    problems: list[Problem] = []

    known_top = {"production", "security_approvers", "datasets", "rooms", "retired"}
    for key in data:
        if key not in known_top:
            problems.append(
                Problem(
                    shorten(key, 40).strip("'"),
                    f"is not a known field (expected one of {', '.join(sorted(known_top))})",
                    parsed.line([key]),
                )
            )

    def section(model: Any, value: Any, loc: list[str | int]) -> Any:
        try:
            if isinstance(model, TypeAdapter):
                return model.validate_python(value)
            return model.model_validate(value)
        except ValidationError as exc:
            problems.extend(_problems_from(exc, loc, parsed))
            return None

    production = None
    if "production" not in data:
        problems.append(Problem("production", "is required", 1))
    else:
        production = section(Production, data["production"], ["production"])

    security_approvers = (
        section(_SECURITY_APPROVERS, data.get("security_approvers") or (), ["security_approvers"])
        or ()
    )

    datasets: list[tuple[int, Dataset]] = []
    raw_datasets = data.get("datasets")
    if not isinstance(raw_datasets, list) or not raw_datasets:
        problems.append(
            Problem(
                "datasets",
                "expected a non-empty list of catalog datasets",
                parsed.line(["datasets"]) or 1,
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
            Problem("rooms", "expected a non-empty list of rooms", parsed.line(["rooms"]) or 1)
        )
        raw_rooms = []
    for i, raw in enumerate(raw_rooms):
        room = section(Room, raw, ["rooms", i])
        if room is not None:
            rooms.append((i, room))

    retired = list(enumerate(section(_RETIRED, data.get("retired") or (), ["retired"]) or ()))

    # Names of catalog entries that failed validation: a room asking for one is not told the
    # dataset does not exist on top of the dataset's own problem.
    raw_names = {
        raw["name"]
        for raw in raw_datasets
        if isinstance(raw, Mapping) and isinstance(raw.get("name"), str)
    }
    catalog: dict[str, Dataset] = {}
    for _, ds in datasets:
        catalog.setdefault(ds.name, ds)
    problems.extend(
        _cross_checks(
            production,
            security_approvers,
            datasets,
            rooms,
            catalog,
            raw_names,
            today,
            max_room_days,
            parsed,
        )
    )
    problems.extend(
        Problem(_render_path(loc), msg, parsed.line(loc))
        for loc, msg in lifecycle_problems(
            rooms, retired, production_account=production.account if production else None
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
        retired=tuple(entry for _, entry in retired),
    )


def _cross_checks(
    production: Production | None,
    security_approvers: Sequence[str],
    datasets: Sequence[tuple[int, Dataset]],
    rooms: Sequence[tuple[int, Room]],
    catalog: Mapping[str, Dataset],
    raw_dataset_names: set[str],
    today: dt.date,
    max_room_days: int,
    lines: ParsedYaml,
) -> list[Problem]:
    problems: list[Problem] = []

    def add(
        loc: list[str | int], message: str, line_of: FieldPath | list[str | int] | None = None
    ) -> None:
        line = lines.line(line_of if line_of is not None else loc)
        problems.append(Problem(_render_path(loc), message, line))

    production_partition = partition_of(production.region) if production is not None else None

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
            _key_problems(ds, ["datasets", i, "kms_key_arn"], production, add)
        unknown = sorted(set(ds.contains) - KNOWN_CONTENTS)
        if unknown:
            add(
                ["datasets", i, "contains"],
                f"{shorten(unknown)} not known: expected any of {sorted(KNOWN_CONTENTS)}",
            )
    _catalogue_overlaps(datasets, add)

    security = {email.lower() for email in security_approvers}
    room_seen: dict[str, int] = {}
    detectors: dict[tuple[str, str], tuple[int, Room]] = {}
    recorders: dict[tuple[str, str], tuple[int, Room]] = {}
    trails: dict[str, list[str]] = {}
    if production is not None:
        trails[production.account] = ["the production read trail"]
    read_resources: set[tuple[str, str]] = set()
    latest = today + dt.timedelta(days=max_room_days)
    for i, room in rooms:
        loc: list[str | int] = ["rooms", i]
        if room.name in room_seen:
            add(
                [*loc, "name"],
                f"{room.name!r} is already used by rooms[{room_seen[room.name]}]; "
                "room names must be unique",
            )
        room_seen.setdefault(room.name, i)
        if room.name in RESERVED_ROOM_NAMES:
            add(
                [*loc, "name"],
                f"{room.name!r} is reserved: the production stack's names use it "
                f"({', '.join(sorted(RESERVED_ROOM_NAMES))}); choose another name",
            )

        region = room.region or (production.region if production is not None else None)
        room_partition = partition_of(region) if region else None
        if (
            production_partition is not None
            and room.region is not None
            and room_partition != production_partition
        ):
            add(
                [*loc, "region"],
                f"{room.region!r} is in partition {room_partition}, production "
                f"({production.region if production else ''}) in {production_partition}: "
                "roles cannot be assumed across partitions; choose a region of "
                f"{production_partition}",
            )

        for j, principal in enumerate(room.principals):
            match = _ROLE_ARN_RE.fullmatch(principal)
            assert match is not None
            arn_partition, arn_account = match.group(1), match.group(2)
            if arn_partition not in known_partitions():
                add(
                    [*loc, "principals", j],
                    f"{shorten(principal)} names partition {shorten(arn_partition, 20)}, which "
                    f"is not an AWS partition ({', '.join(sorted(known_partitions()))})",
                )
            elif room_partition is not None and arn_partition != room_partition:
                add(
                    [*loc, "principals", j],
                    f"{shorten(principal)} is in partition {arn_partition}, the room's region "
                    f"{region} in {room_partition}",
                )
            if arn_account != room.account:
                add(
                    [*loc, "principals", j],
                    f"{shorten(principal)} is in account {arn_account}; a room's principals must "
                    f"be roles of the room's own account {room.account}",
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
                known = shorten(", ".join(sorted(catalog)) or "none", 200).strip("'")
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
        if room.expires > latest:
            add(
                [*loc, "expires"],
                f"{room.expires.isoformat()} is {(room.expires - today).days} days from today "
                f"({today.isoformat()}): a room lasts at most {max_room_days} days (the "
                f"baseline's max_room_days), so expire it on or before {latest.isoformat()}; to "
                "go on after that, extend it with a new ticket and approval, or raise "
                "max_room_days in the baseline",
            )
        if room.reads_production and not room.datasets:
            add(
                [*loc, "datasets"],
                f"phase {room.phase.value!r} reads production data: expected "
                "at least one dataset with a justification",
            )

        _approval_problems(room, loc, add)

        if region is not None:
            place = (room.account, region)
            in_production = production is not None and place == (
                production.account,
                production.region,
            )
            if in_production and room.monitoring.existing_guardduty_detector_id is None:
                add(
                    [*loc, "monitoring", "existing_guardduty_detector_id"],
                    f"room {room.name!r} lives in the production account and region, whose "
                    "GuardDuty detector already exists (MON-3 runs in production): set "
                    "monitoring.existing_guardduty_detector_id to production's detector id",
                    [*loc],
                )
            elif room.monitoring.existing_guardduty_detector_id is None:
                if place in detectors:
                    first = detectors[place][1]
                    add(
                        [*loc, "monitoring", "existing_guardduty_detector_id"],
                        f"rooms {first.name!r} and {room.name!r} both create a GuardDuty "
                        f"detector in account {room.account}, {region}; AWS allows one per "
                        "account and region, so the second deploy would fail: deploy one, then "
                        "set monitoring.existing_guardduty_detector_id to its detector id on "
                        "every other room of that account and region",
                        [*loc],
                    )
                detectors.setdefault(place, (i, room))
            if in_production and not room.monitoring.existing_config_recorder:
                add(
                    [*loc, "monitoring", "existing_config_recorder"],
                    f"room {room.name!r} lives in the production account and region, whose "
                    "AWS Config recorder already exists (the baseline runs there): set "
                    "monitoring.existing_config_recorder: true",
                    [*loc],
                )
            elif not room.monitoring.existing_config_recorder:
                if place in recorders:
                    first = recorders[place][1]
                    add(
                        [*loc, "monitoring", "existing_config_recorder"],
                        f"rooms {first.name!r} and {room.name!r} both create an AWS Config "
                        f"recorder in account {room.account}, {region}; AWS allows one per "
                        "account and region, so the second deploy would fail: set "
                        "monitoring.existing_config_recorder: true on every room of that "
                        "account and region but one",
                        [*loc],
                    )
                recorders.setdefault(place, (i, room))
            in_account = trails.setdefault(room.account, [])
            in_account.append(f"room {room.name!r}")
            if len(in_account) == MAX_TRAILS_PER_REGION + 1:
                add(
                    [*loc, "account"],
                    f"account {room.account} would hold {len(in_account)} CloudTrail trails "
                    f"({shorten(', '.join(in_account), 120).strip(chr(39))}); AWS allows "
                    f"{MAX_TRAILS_PER_REGION} per region and each room's multi-region trail "
                    "counts in every region: put this room in another account",
                )
        for sub, message in results_problems(
            room.results, phase=room.phase.value, tenancy=room.tenancy.value
        ):
            add([*loc, *sub], message)

        wanted = [catalog[g.name] for g in room.datasets if g.name in catalog]
        if room.reads_production:
            read_resources.update((ds.bucket, ds.prefix) for ds in wanted)
        problems.extend(_mixing_problems(room, loc, wanted, security, lines))

    if len(read_resources) > MAX_TRAIL_DATA_RESOURCES:
        add(
            ["rooms"],
            f"the rooms read {len(read_resources)} distinct bucket prefixes; the production read "
            f"trail (MON-2) records at most {MAX_TRAIL_DATA_RESOURCES} S3 data resources: "
            "catalogue broader prefixes or split the manifest",
        )
    return problems


def _key_problems(ds: Dataset, loc: list[str | int], production: Production, add: Any) -> None:
    """A dataset's key: a real partition, the production account, the dataset's own region."""
    assert ds.kms_key_arn is not None
    match = _KMS_KEY_ARN_RE.fullmatch(ds.kms_key_arn)
    assert match is not None
    arn_partition, key_region, key_account = match.group(1), match.group(2), match.group(3)
    region_partition = partition_of(key_region)
    if arn_partition not in known_partitions():
        add(
            loc,
            f"{shorten(ds.kms_key_arn)} names partition {shorten(arn_partition, 20)}, which is "
            f"not an AWS partition ({', '.join(sorted(known_partitions()))})",
        )
    elif region_partition is None:
        add(loc, f"{shorten(ds.kms_key_arn)} names region {key_region!r}, which is not a region")
    elif region_partition != arn_partition:
        add(
            loc,
            f"{shorten(ds.kms_key_arn)} is in partition {arn_partition} but its region "
            f"{key_region} is in {region_partition}",
        )
    elif key_region != production.region:
        add(
            loc,
            f"{shorten(ds.kms_key_arn)} is in region {key_region}, dataset bucket "
            f"{ds.bucket!r} in the production region {production.region}: S3 only uses a key "
            "of the bucket's own region",
        )
    if key_account != production.account:
        add(
            loc,
            f"{shorten(ds.kms_key_arn)} is in account {key_account}, expected the production "
            f"account {production.account}",
        )


def _labels(ds: Dataset) -> tuple[str, str, frozenset[str]]:
    return (ds.classification.value, ds.tenancy.value, frozenset(ds.contains))


def _catalogue_overlaps(datasets: Sequence[tuple[int, Dataset]], add: Any) -> None:
    """Refuse a bucket prefix catalogued twice, or inside another entry with other labels.

    ``events/`` labelled public and ``events/process/`` labelled confidential would let a room
    read confidential data under the public label, and the mixing rules (CHG-2) would never
    fire. Overlapping entries must carry the same labels (classification, tenancy, contains);
    the same bucket and prefix twice is refused outright (one name per prefix).
    """
    by_key: dict[tuple[str, str], tuple[int, Dataset]] = {}
    for i, ds in datasets:
        other = by_key.get((ds.bucket, ds.prefix))
        if other is not None:
            add(
                ["datasets", i, "prefix"],
                f"s3://{ds.bucket}/{shorten(ds.prefix, 80).strip(chr(39))} is already catalogued "
                f"as {other[1].name!r} (datasets[{other[0]}]): catalogue each prefix once",
            )
            continue
        by_key[(ds.bucket, ds.prefix)] = (i, ds)
    for (bucket, prefix), (i, ds) in by_key.items():
        # Every ancestor prefix of "a/b/c/" is "a/" or "a/b/": a dict lookup each, no pair scan.
        parts = prefix.split("/")[:-2]
        ancestor = ""
        for part in parts:
            ancestor += part + "/"
            outer = by_key.get((bucket, ancestor))
            if outer is None or _labels(outer[1]) == _labels(ds):
                continue
            o = outer[1]
            add(
                ["datasets", i, "prefix"],
                f"s3://{bucket}/{shorten(prefix, 80).strip(chr(39))} lies inside "
                f"{o.name!r} (datasets[{outer[0]}], s3://{bucket}/"
                f"{shorten(ancestor, 80).strip(chr(39))}) but is labelled differently "
                f"({ds.classification.value}, {ds.tenancy.value}, contains "
                f"{sorted(ds.contains)} vs {o.classification.value}, {o.tenancy.value}, contains "
                f"{sorted(o.contains)}): a room reading {o.name!r} reads this data too; give "
                "both entries the strictest labels",
            )


def _approval_problems(room: Room, loc: list[str | int], add: Any) -> None:
    """Two people: the owner never counts as an approver."""
    owner = room.owner.lower()
    for j, approver in enumerate(room.approvers):
        if approver.lower() == owner:
            add(
                [*loc, "approvers", j],
                f"{approver!r} is the room's owner: an owner never approves their own room "
                "(two people); ask someone else",
            )
    if all(a.lower() == owner for a in room.approvers):
        add(
            [*loc, "approvers"],
            "expected at least one approver who is not the owner (two people)",
        )


def _mixing_problems(
    room: Room,
    loc: list[str | int],
    wanted: Sequence[Dataset],
    security: set[str],
    lines: ParsedYaml,
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
            break
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
    owner = room.owner.lower()
    if not {a.lower() for a in room.approvers if a.lower() != owner} & security:
        path = [*loc, "approvers"]
        listed = ", ".join(sorted(security)) or "none are declared in 'security_approvers'"
        out.append(
            Problem(
                _render_path(path),
                f"room {room.name!r} {why} (datasets: {names}): expected at least one "
                f"security approver who is not the owner ({listed})",
                lines.line(path),
            )
        )
    return out
