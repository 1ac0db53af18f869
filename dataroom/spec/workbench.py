"""The manifest's ``rooms[].workbench`` section: notebooks inside the glovebox (WBN-1..4).

Absent means the room has no workbench. Every default is the strict one: the smallest instance
type, no network range from which a notebook URL may be created (only through the room's own
endpoints), no package but those listed, an idle stop after an hour.

The model is frozen and validated with the rest of the manifest, so a wrong workbench fails
before synthesis with the file, line and field path, e.g.::

    rooms.yaml:48: rooms[0].workbench.instance_type: 'ml.p3.2xlarge' is not in instance_types
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

__all__ = [
    "DEFAULT_INSTANCE_TYPE",
    "IDLE_STOP_MINUTES",
    "VOLUME_SIZE_GB",
    "Workbench",
    "notebook_slug",
    "package_name",
]

#: The smallest general-purpose notebook type: what a room gets unless the manifest says more.
DEFAULT_INSTANCE_TYPE = "ml.t3.medium"
#: Bounds of the notebook's EBS volume (GiB): big enough for a working set, small enough that
#: data is not hoarded on a volume instead of the room's buckets.
VOLUME_SIZE_GB = (5, 100)
#: Bounds of the idle stop: a notebook never runs idle for more than a working day.
IDLE_STOP_MINUTES = (10, 480)
#: Broadest network range a notebook URL may be created from.
MIN_ACCESS_PREFIX = 8
MAX_USERS = 20

_INSTANCE_TYPE_RE = re.compile(r"^ml\.[a-z][a-z0-9-]*\.[0-9]*(?:x?large|medium|small|micro)$")
_PREFIX_LIST_RE = re.compile(r"^pl-[0-9a-f]{8,17}$")
_USER_RE = re.compile(
    r"^(?:[a-z][a-z0-9._-]{0,62}|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})$"
)
#: Notebook instance names are part of the room's names; a user's part is at most this long.
_SLUG_MAX = 24


def _error(message: str) -> PydanticCustomError:
    # Same error type as dataroom.manifest: the loader renders it as "file:line: path: message".
    return PydanticCustomError("dataroom", "{message}", {"message": message})


def notebook_slug(user: str) -> str:
    """The part of a notebook's name that names its user: ``Jane.Doe@x.com`` -> ``jane-doe``."""
    local = user.split("@", 1)[0].lower()
    slug = re.sub(r"[^a-z0-9]+", "-", local).strip("-")
    return slug[:_SLUG_MAX].rstrip("-") or "user"


def package_name(requirement: str) -> str:
    """The normalized PyPI name (PEP 503) of a manifest package entry: ``Scikit_Learn>=1`` ->
    ``scikit-learn``; CodeArtifact stores PyPI packages under this name."""
    return str(canonicalize_name(Requirement(requirement).name))


def _instance_type(value: str) -> str:
    if not _INSTANCE_TYPE_RE.fullmatch(value):
        raise _error(
            f"{value!r} is not a SageMaker notebook instance type such as {DEFAULT_INSTANCE_TYPE!r}"
        )
    return value


def _user(value: str) -> str:
    if not _USER_RE.fullmatch(value):
        raise _error(
            f"{value!r} is not a user: expected an e-mail address or a lower-case name "
            "(a-z, 0-9, '.', '_', '-'), e.g. 'jane.doe@example.com' or 'jdoe'"
        )
    return value


def _package(value: str) -> str:
    try:
        requirement = Requirement(value)
    except InvalidRequirement as exc:
        raise _error(
            f"{value!r} is not a PyPI requirement such as 'pandas' or 'scikit-learn>=1.5,<2' "
            f"({exc})"
        ) from None
    if requirement.url:
        raise _error(
            f"{value!r} names a URL: packages come only from the room's mirror of PyPI (WBN-2), "
            "by name and version"
        )
    if requirement.marker is not None:
        raise _error(f"{value!r} has an environment marker: list the package by name and version")
    return value


def _access_cidr(value: str) -> str:
    try:
        net = ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise _error(f"{value!r} is not an IPv4 CIDR block ({exc})") from None
    if net.prefixlen < MIN_ACCESS_PREFIX:
        raise _error(
            f"{value!r} is broader than /{MIN_ACCESS_PREFIX}: name the network ranges a notebook "
            "may be opened from (e.g. the office's egress range), not the internet"
        )
    return value


InstanceType = Annotated[str, AfterValidator(_instance_type)]
User = Annotated[str, AfterValidator(_user)]
Package = Annotated[str, AfterValidator(_package)]
AccessCidr = Annotated[str, AfterValidator(_access_cidr)]


def _prefix_list(value: str) -> str:
    if not _PREFIX_LIST_RE.fullmatch(value):
        raise _error(
            f"{value!r} is not a managed prefix list id such as 'pl-63a5400a' (the region's "
            "com.amazonaws.<region>.s3 list: `aws ec2 describe-managed-prefix-lists`)"
        )
    return value


PrefixListId = Annotated[str, AfterValidator(_prefix_list)]


class Workbench(BaseModel):
    """A room's workbench: one SageMaker notebook instance per listed user, inside the glovebox.

    ``packages`` is the whole allow-list of the room's PyPI mirror: every distribution pip may
    download, dependencies included (``dataroom workbench lock`` derives it from a lock file).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    instance_types: tuple[InstanceType, ...] = Field(
        default=(DEFAULT_INSTANCE_TYPE,), min_length=1, description="the allow-list (WBN-1)"
    )
    instance_type: InstanceType | None = Field(
        default=None, description="defaults to the first of instance_types"
    )
    volume_size_gb: int = Field(default=20, ge=VOLUME_SIZE_GB[0], le=VOLUME_SIZE_GB[1])
    users: tuple[User, ...] = Field(min_length=1, max_length=MAX_USERS)
    packages: tuple[Package, ...] = ()
    idle_stop_minutes: int = Field(default=60, ge=IDLE_STOP_MINUTES[0], le=IDLE_STOP_MINUTES[1])
    access_cidrs: tuple[AccessCidr, ...] = ()
    s3_prefix_list_id: PrefixListId | None = Field(
        default=None, description="lets notebooks reach the room's buckets through S3's gateway"
    )

    @field_validator("instance_type")
    @classmethod
    def _allowed_type(cls, value: str | None, info: ValidationInfo) -> str | None:
        allowed = info.data.get("instance_types")
        if value is not None and allowed is not None and value not in allowed:
            raise _error(f"{value!r} is not in instance_types {list(allowed)}")
        return value

    @field_validator("users")
    @classmethod
    def _distinct_users(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        seen: dict[str, str] = {}
        for user in value:
            slug = notebook_slug(user)
            if slug in seen:
                raise _error(
                    f"{user!r} and {seen[slug]!r} would get the same notebook name ({slug!r}): "
                    "each user needs a distinct name"
                )
            seen[slug] = user
        return value

    @field_validator("packages")
    @classmethod
    def _distinct_packages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        seen: dict[str, str] = {}
        for entry in value:
            name = package_name(entry)
            if name in seen:
                raise _error(f"{entry!r} and {seen[name]!r} are the same package ({name!r})")
            seen[name] = entry
        return value

    @property
    def default_instance_type(self) -> str:
        """The instance type every notebook gets."""
        return self.instance_type or self.instance_types[0]

    @property
    def package_names(self) -> tuple[str, ...]:
        """The allow-list as normalized PyPI names, sorted."""
        return tuple(sorted(package_name(p) for p in self.packages))

    @property
    def constraints(self) -> tuple[str, ...]:
        """The entries with a version specifier, as pip constraints (``name<spec>``)."""
        out = []
        for entry in self.packages:
            requirement = Requirement(entry)
            if requirement.specifier:
                out.append(f"{canonicalize_name(requirement.name)}{requirement.specifier}")
        return tuple(sorted(out))

    def to_props(self) -> dict[str, Any]:
        """The construct's keyword arguments (``dataroom.constructs.workbench.Workbench``)."""
        return {
            "users": self.users,
            "instance_type": self.default_instance_type,
            "instance_types": self.instance_types,
            "volume_size_gb": self.volume_size_gb,
            "packages": self.package_names,
            "constraints": self.constraints,
            "idle_stop_minutes": self.idle_stop_minutes,
            "access_cidrs": self.access_cidrs,
            "s3_prefix_list_id": self.s3_prefix_list_id,
        }
