"""The ``airlock`` section of a room (EXP-1, EXP-2): how results may leave the room.

```yaml
rooms:
  - name: abnormal-process-exec
    approvers: [security-lead@example.com, data-protection@example.com]
    airlock:
      consumers: [arn:aws:iam::333333333333:role/ThreatResearchConsumer]
      request_ttl_days: 14
      approver_principals: [arn:aws:iam::222222222222:role/SecurityReviewer]  # default: principals
```

Approvers are the room's own ``approvers``: an export needs two of them, neither the requester,
so a room with an airlock needs at least two approvers (checked when the room is built).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo
from pydantic_core import PydanticCustomError

__all__ = ["MIN_APPROVERS", "Airlock", "RoomAirlock"]

#: Distinct approvals a release needs (the two-person rule); the room needs this many approvers.
MIN_APPROVERS = 2
_ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[A-Za-z0-9+=,.@_/-]{1,512}$")


def _role_arn(value: str) -> str:
    if not _ROLE_ARN_RE.fullmatch(value):
        raise PydanticCustomError(
            "dataroom",
            "{message}",
            {
                "message": f"{value!r} is not an IAM role ARN such as "
                "'arn:aws:iam::333333333333:role/Consumer' (account roots, users and wildcards "
                "are not allowed: a consumer is one named role)"
            },
        )
    return value


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    if len(set(values)) != len(values):
        raise PydanticCustomError(
            "dataroom", "{message}", {"message": f"{list(values)!r} lists a consumer twice"}
        )
    return values


ConsumerArn = Annotated[str, AfterValidator(_role_arn)]


class Airlock(BaseModel):
    """The room's export airlock: who may read released exports, and how long a request lives.

    :param consumers: IAM roles that may read the export bucket (and nobody else may).
    :param request_ttl_days: days a request may wait for its scan and its approvals before it
        expires (1..30, default 14).
    :param approver_principals: the roles (of the room account) approvers sign in with; a
        session of one of them becomes the room's approver role only when its SourceIdentity is
        one of the room's approvers. Default: the room's ``principals``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    consumers: Annotated[tuple[ConsumerArn, ...], AfterValidator(_unique)] = Field(min_length=1)
    request_ttl_days: int = Field(default=14, ge=1, le=30)
    approver_principals: Annotated[tuple[ConsumerArn, ...], AfterValidator(_unique)] = Field(
        default=(), description="roles approvers come through; default: the room's principals"
    )


def _two_approvers(value: Airlock | None, info: ValidationInfo) -> Airlock | None:
    # The room's own approvers decide on exports: the two-person rule needs two of them.
    approvers = set(info.data.get("approvers") or ()) if info.data else set()
    if value is not None and len(approvers) < MIN_APPROVERS:
        raise PydanticCustomError(
            "dataroom",
            "{message}",
            {
                "message": f"the room has {len(approvers)} approver(s): an airlock needs at least "
                f"{MIN_APPROVERS} distinct approvers in 'approvers' (two approvals by two people "
                "who are not the requester)"
            },
        )
    return value


#: The type of ``Room.airlock``: the section, checked against the room's approvers.
RoomAirlock = Annotated[Airlock | None, AfterValidator(_two_approvers)]
