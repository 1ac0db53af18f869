"""``rooms[].results``: who reads a production room's end results (PHS-1, PHS-2). jsii-free.

Phase ``production-a`` publishes results to named internal consumers (operational tools), each
through an S3 access point of its own reachable from its network only; end users never read them.
Phase ``production-b`` adds the data access layer (DAL): a per-tenant reader role, assumed by the
DAL with a tenant session tag, reading only under ``tenant=<tag value>/`` through its own access
point. This module holds the manifest model and the checks that relate it to the room's phase;
:mod:`dataroom.manifest` calls :func:`results_problems` for every room.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

__all__ = [
    "PUBLISHING_PHASES",
    "DataAccessLayer",
    "InternalConsumer",
    "Results",
    "results_problems",
    "tenant_prefix",
]

#: Phases whose results leave the room through access points.
PUBLISHING_PHASES = ("production-a", "production-b")
#: The object prefix a tenant's results live under; ``{tenant}`` is the tag value or variable.
TENANT_PREFIX = "tenant={tenant}/"

_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}", re.ASCII)
_VPC_ID = re.compile(r"vpc-[0-9a-f]{8,17}", re.ASCII)
_VPCE_ID = re.compile(r"vpce-[0-9a-f]{8,17}", re.ASCII)
_NAME = re.compile(r"[a-z][a-z0-9-]{1,18}[a-z0-9]", re.ASCII)
_TAG_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]{0,63}", re.ASCII)
_TENANT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}", re.ASCII)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _matching(pattern: re.Pattern[str], what: str) -> Any:
    def validate(value: str) -> str:
        if not pattern.fullmatch(value):
            raise PydanticCustomError(
                "dataroom", "{message}", {"message": f"{_short(value)} is not {what}"}
            )
        return value

    return AfterValidator(validate)


RoleArn = Annotated[
    str, _matching(_ROLE_ARN, "an IAM role ARN (arn:aws:iam::<12 digits>:role/...)")
]
VpcId = Annotated[str, _matching(_VPC_ID, "a VPC id (vpc-<8-17 hex>)")]
VpceId = Annotated[str, _matching(_VPCE_ID, "a VPC endpoint id (vpce-<8-17 hex>)")]
ConsumerName = Annotated[str, _matching(_NAME, "3-20 of a-z, 0-9 and '-', starting with a letter")]
TagKey = Annotated[str, _matching(_TAG_KEY, "an IAM tag key (letters, digits, _ . : -)")]
Tenant = Annotated[str, _matching(_TENANT, "a tenant id (letters, digits, _ . -)")]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Network(_Frozen):
    """Where a reader's requests come from: exactly one of a VPC or a VPC endpoint."""

    vpc_id: VpcId | None = Field(
        default=None, description="the access point accepts requests from this VPC only"
    )
    vpce_id: VpceId | None = Field(
        default=None, description="the access point accepts requests through this endpoint only"
    )

    @model_validator(mode="after")
    def _one_network(self) -> _Network:
        if (self.vpc_id is None) == (self.vpce_id is None):
            raise PydanticCustomError(
                "dataroom",
                "{message}",
                {
                    "message": "expected exactly one of vpc_id or vpce_id: an access point is "
                    "reachable from one network only"
                },
            )
        return self


class InternalConsumer(_Network):
    """An internal operational tool that reads the room's results (phases A and B)."""

    name: ConsumerName
    role_arn: RoleArn


class DataAccessLayer(_Frozen):
    """The end-user-facing data access layer (phase B only).

    Its reads are pinned to its own VPC endpoint (``vpce_id``, required: "some endpoint" is not
    a network perimeter); ``vpc_id`` additionally makes its access point a VPC-origin one.
    """

    role_arn: RoleArn = Field(description="the DAL's service role; it assumes the tenant reader")
    tenant_tag: TagKey = Field(
        default="tenant", description="the session tag whose value names the caller's tenant"
    )
    tenants: tuple[Tenant, ...] = Field(
        default=(), description="tenants that may be read; a single-tenant room names exactly one"
    )
    vpce_id: VpceId = Field(description="the DAL reads through this VPC endpoint only")
    vpc_id: VpcId | None = Field(
        default=None, description="the DAL's access point accepts requests from this VPC only"
    )


class Results(_Frozen):
    """Who reads the room's end results, by phase."""

    internal_consumers: tuple[InternalConsumer, ...] = Field(min_length=1)
    dal: DataAccessLayer | None = None
    phase_b_justification: str | None = Field(
        default=None,
        min_length=20,
        description="why phase B may follow a phase other than A (checked against the evidence)",
    )


def tenant_prefix(tenant: str) -> str:
    """The results prefix of ``tenant`` (a tag value, or an IAM policy variable)."""
    return TENANT_PREFIX.format(tenant=tenant)


def results_problems(
    results: Results | None, *, phase: str, tenancy: str
) -> list[tuple[list[str | int], str]]:
    """What is wrong with a room's ``results`` given its phase and tenancy: (path, message).

    Paths are relative to the room (``["results", "dal"]``).
    """
    problems: list[tuple[list[str | int], str]] = []
    if phase not in PUBLISHING_PHASES:
        if results is not None:
            problems.append(
                (
                    ["results"],
                    f"phase {phase!r} publishes no results: only production-a and production-b "
                    "rooms have a results section (remove it, or move the room to production-a)",
                )
            )
        return problems
    if results is None:
        problems.append(
            (
                ["results"],
                f"phase {phase!r} publishes results: expected a results section naming the "
                "internal consumers (and, in production-b, the data access layer)",
            )
        )
        return problems
    seen: dict[str, int] = {}
    for i, consumer in enumerate(results.internal_consumers):
        if consumer.name in seen:
            problems.append(
                (
                    ["results", "internal_consumers", i, "name"],
                    f"{consumer.name!r} is already used by "
                    f"internal_consumers[{seen[consumer.name]}]",
                )
            )
        seen.setdefault(consumer.name, i)
    if results.dal is not None and consumer_uses_role(results, results.dal.role_arn):
        problems.append(
            (
                ["results", "dal", "role_arn"],
                "the data access layer serves end users and cannot also be an internal consumer",
            )
        )
    if phase == "production-a" and results.dal is not None:
        problems.append(
            (
                ["results", "dal"],
                "production-a results are never read by end-user services: remove the dal "
                "section, or move the room to production-b",
            )
        )
    if phase == "production-b":
        if results.dal is None:
            problems.append(
                (
                    ["results", "dal"],
                    "production-b publishes to end users through the data access layer: expected "
                    "a dal section (role_arn, tenant_tag, vpce_id)",
                )
            )
        elif tenancy == "single-tenant" and len(results.dal.tenants) != 1:
            problems.append(
                (
                    ["results", "dal", "tenants"],
                    f"a single-tenant room publishes to one tenant only: expected exactly one "
                    f"tenant, got {len(results.dal.tenants)}",
                )
            )
    return problems


def consumer_uses_role(results: Results, role_arn: str) -> bool:
    """Whether ``role_arn`` is one of the internal consumers' roles."""
    return any(c.role_arn == role_arn for c in results.internal_consumers)
