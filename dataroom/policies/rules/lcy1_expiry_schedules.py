"""LCY-1: the room has a one-shot schedule that freezes it at expiry (and warns before)."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from dataroom.policies.rules.base import Resource, Rule, RuleContext, Verdict, tags
from dataroom.template_policy import refers_to

_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")


def at_time(schedule: Resource) -> dt.datetime | None:
    """The UTC instant of a one-shot ``at(...)`` schedule, or None for any other expression."""
    props = schedule.get("Properties", {})
    match = _AT.match(str(props.get("ScheduleExpression", "")))
    if match is None or props.get("ScheduleExpressionTimezone", "UTC") not in ("UTC", "Etc/UTC"):
        return None
    return dt.datetime.fromisoformat(match.group(1)).replace(tzinfo=dt.UTC)


def _target_function(target: Any, functions: set[str]) -> str | None:
    arn = target.get("Arn") if isinstance(target, dict) else None
    if isinstance(arn, dict) and "Fn::GetAtt" in arn:
        name = str(arn["Fn::GetAtt"][0])
        return name if name in functions else None
    return None


def names_room_role(ctx: RuleContext, function: Resource) -> bool:
    """Whether a freeze function's ``ROOM_ROLES`` names at least one role of the template."""
    env = function.get("Properties", {}).get("Environment", {}).get("Variables", {})
    value = env.get("ROOM_ROLES") if isinstance(env, dict) else None
    roles = dict(ctx.resources("AWS::IAM::Role"))
    if isinstance(value, str):
        try:
            names = json.loads(value)
        except ValueError:
            return False
        wanted = {r.get("Properties", {}).get("RoleName") for r in roles.values()}
        return isinstance(names, list) and any(n in wanted for n in names if isinstance(n, str))
    return any(refers_to(value, lid) for lid in roles)


def check(ctx: RuleContext) -> Verdict:
    functions = {lid for lid, _ in ctx.resources("AWS::Lambda::Function")}
    freezes: list[tuple[str, dt.datetime]] = []
    idle: list[str] = []
    for lid, schedule in ctx.resources("AWS::Scheduler::Schedule"):
        props = schedule.get("Properties", {})
        when = at_time(schedule)
        if when is None or props.get("State", "ENABLED") != "ENABLED":
            continue
        function = _target_function(props.get("Target"), functions)
        if function is None:
            continue
        if names_room_role(ctx, ctx.template["Resources"][function]):
            freezes.append((lid, when))
        else:
            idle.append(function)
    if idle and not freezes:
        return [
            f"freeze function {name}: its ROOM_ROLES names no role of the room, nothing freezes"
            for name in sorted(set(idle))
        ]
    if not freezes:
        return ["no enabled one-shot at(...) schedule invoking a freeze function in the room"]
    expires = tags(ctx.resource).get("dataroom:expires")
    if not expires:
        return ["the room VPC has no dataroom:expires tag (CHG-1): nothing says when to freeze"]
    try:
        last_day = dt.date.fromisoformat(expires)
    except ValueError:
        return [f"dataroom:expires tag {expires!r} is not a date"]
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
    now = dt.datetime.now(dt.UTC)
    lifetime = (last_day - now.date()).days
    if lifetime > ctx.baseline.max_room_days:
        # The manifest refuses it before synthesis; a room built from props meets it here.
        return [
            f"expires {expires}, {lifetime} days from today: more than the baseline's "
            f"max_room_days ({ctx.baseline.max_room_days})"
        ]
    if end < now:
        return True  # already expired: the freeze runs at the first midnight after deploy
    late = [
        f"{lid}: freezes at {when.isoformat()}, after expiry {end.isoformat()}"
        for lid, when in freezes
        if when > end
    ]
    return late if len(late) == len(freezes) else True


RULE = Rule(
    rule_id="LCY1ExpirySchedules",
    control="LCY-1",
    info="The room has no enabled one-shot schedule that freezes it at (or before) its expiry, "
    "or the function it invokes names no role of the room in ROOM_ROLES.",
    explanation="Access to production ends at expiry through IAM, but notebooks, endpoints and "
    "the room's own roles keep running and costing; the freeze at expiry ends them.",
    resource_types=frozenset({"AWS::EC2::VPC"}),
    check=check,
    rooms_only=True,
)
