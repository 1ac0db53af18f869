"""Room lifecycle and cost in the manifest (LCY-1..3): expiry instants, budgets, retired rooms.

jsii-free: the manifest, the lifecycle construct, the nag rules and ``dataroom rooms`` all read
these definitions. The manifest carries three lifecycle fields besides ``expires``:

- ``rooms[].budget_usd_month``: the room's monthly AWS Budget in US dollars (LCY-2). Optional
  (default :data:`DEFAULT_BUDGET_USD_MONTH`), except for rooms with a ``workbench``, whose compute
  is what costs: those must state it.
- ``retired``: the retired-rooms registry (LCY-3), one entry per room that ``dataroom retire``
  closed. A room whose account is a retired room's account is refused unless it says why with
  ``rooms[].reuse_retired_account``; the production account, which rooms share by design, is
  exempt.
- ``rooms[].reuse_retired_account``: that justification.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "DEFAULT_BUDGET_USD_MONTH",
    "WARNING_DAYS",
    "BudgetUsdMonth",
    "RetiredRoom",
    "expiry_instant",
    "freeze_instant",
    "lifecycle_problems",
    "warning_instants",
]

#: The monthly budget of a room that states none: enough for Athena, logs and endpoints.
DEFAULT_BUDGET_USD_MONTH = 200
#: Days before expiry at which owner and approvers are warned (LCY-1).
WARNING_DAYS: tuple[int, ...] = (14, 7, 1)

#: A monthly budget in whole US dollars.
BudgetUsdMonth = Annotated[int, Field(ge=1, le=1_000_000)]

_ACCOUNT_RE = re.compile(r"^\d{12}$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")


def _account(value: Any) -> Any:
    value = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(value, str) or not _ACCOUNT_RE.fullmatch(value):
        raise ValueError(f"{value!r} is not a 12-digit AWS account id")
    return value


def _name(value: str) -> str:
    if not _NAME_RE.fullmatch(value):
        raise ValueError(f"{value!r} is not a room name")
    return value


def _date(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"{value!r} is not a date: expected YYYY-MM-DD")
    return value


class RetiredRoom(BaseModel):
    """One entry of the manifest's ``retired`` registry, as ``dataroom retire`` prints it."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name: Annotated[str, AfterValidator(_name)]
    account: Annotated[str, BeforeValidator(_account)]
    retired_on: Annotated[dt.date, BeforeValidator(_date)]
    ticket: str | None = None
    evidence: str | None = Field(
        default=None, description="where retire wrote the final evidence (s3://bucket/prefix/)"
    )


def expiry_instant(expires: dt.date) -> dt.datetime:
    """When a room's access ends: the start of the day after ``expires``, UTC (as IAM-4)."""
    return dt.datetime.combine(expires + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)


def warning_instants(expires: dt.date, *, today: dt.date) -> dict[int, dt.datetime]:
    """Days-before -> when to warn; warnings already due on or before ``today`` are left out."""
    end = expiry_instant(expires)
    start_of_tomorrow = expiry_instant(today)
    out = {}
    for days in WARNING_DAYS:
        at = end - dt.timedelta(days=days)
        if at >= start_of_tomorrow:
            out[days] = at
    return out


def freeze_instant(expires: dt.date, *, today: dt.date) -> dt.datetime:
    """When the freeze runs: at expiry, or, when that is already past, the next midnight UTC.

    A one-shot schedule in the past would never fire; a room that is already expired when it
    is deployed is frozen at the first midnight after the deployment instead.
    """
    return max(expiry_instant(expires), expiry_instant(today))


def lifecycle_problems(
    rooms: Sequence[tuple[int, Any]],
    retired: Sequence[tuple[int, RetiredRoom]],
    *,
    production_account: str | None,
) -> list[tuple[list[str | int], str]]:
    """The lifecycle rules that relate manifest sections (LCY-2, LCY-3): (field path, message).

    ``rooms`` are ``(index, Room)`` pairs as the manifest validated them.
    """
    problems: list[tuple[list[str | int], str]] = []
    by_account: dict[str, list[RetiredRoom]] = {}
    seen: dict[str, int] = {}
    for j, entry in retired:
        if entry.name in seen:
            problems.append(
                (
                    ["retired", j, "name"],
                    f"{entry.name!r} is already listed as retired[{seen[entry.name]}]",
                )
            )
        seen.setdefault(entry.name, j)
        if entry.account != production_account:
            by_account.setdefault(entry.account, []).append(entry)
    for i, room in rooms:
        workbench = getattr(room, "workbench", None)
        if workbench is not None and "budget_usd_month" not in room.model_fields_set:
            problems.append(
                (
                    ["rooms", i, "budget_usd_month"],
                    f"room {room.name!r} has a workbench: expected an explicit monthly budget "
                    "in US dollars (LCY-2); workbench compute is what a room spends",
                )
            )
        previous = by_account.get(room.account, [])
        justification = getattr(room, "reuse_retired_account", None)
        if previous and justification is None:
            names = ", ".join(f"{p.name} (retired {p.retired_on.isoformat()})" for p in previous)
            problems.append(
                (
                    ["rooms", i, "account"],
                    f"{room.account} was the account of retired room(s) {names}: a retired "
                    "room's account is not reused silently (LCY-3); use a new account, or "
                    "state why in 'reuse_retired_account'",
                )
            )
        elif justification is not None and not previous:
            problems.append(
                (
                    ["rooms", i, "reuse_retired_account"],
                    f"{room.account} is no retired room's account: remove the justification",
                )
            )
    return problems


def has_own_account(manifest: Any, room: Any) -> bool:
    """Whether the room's account is its own: not production's, no other room's (LCY-2)."""
    accounts = [r.account for r in manifest.rooms]
    return bool(room.account != manifest.production.account and accounts.count(room.account) == 1)
