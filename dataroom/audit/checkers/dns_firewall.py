"""The DNS firewall (NET-6), judged from the VPC's association: the room's rule group is
associated with the room VPC, first and alone, with the template's priority and mutation
protection; its rules are the template's, in the template's order (an earlier ALLOW wins), and
each domain list holds the template's domains."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from dataroom.audit.context import StackAudit, equal, paginate
from dataroom.audit.errors import UnresolvableError, describe_failure, raise_if_fatal
from dataroom.audit.findings import Status
from dataroom.audit.registry import Checker
from dataroom.audit.resolver import DeployedResource

ASSOCIATION = "AWS::Route53Resolver::FirewallRuleGroupAssociation"
LIVE_ASSOCIATION_STATES = frozenset({"COMPLETE", "CREATING", "UPDATING"})


def _template_rules(audit: StackAudit, group_logical_id: str) -> list[str]:
    """The template rule group's rules as ``priority action domains``, in priority order."""
    group = audit.resources.get(group_logical_id, {}).get("Properties", {})
    rows = []
    for rule in sorted(group.get("FirewallRules", []), key=lambda r: int(r["Priority"])):
        reference = rule["FirewallDomainListId"]
        list_id = reference.get("Fn::GetAtt", [reference.get("Ref")])[0]
        domains = audit.resources.get(list_id, {}).get("Properties", {}).get("Domains", [])
        rows.append(_row(rule, domains))
    return rows


def _row(rule: dict[str, Any], domains: list[str]) -> str:
    action = str(rule.get("Action"))
    if action == "BLOCK":
        action += f"/{rule.get('BlockResponse', 'NODATA')}"
    return f"{action} {','.join(sorted(str(d).rstrip('.') for d in domains))}"


def check_association(
    audit: StackAudit, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
) -> None:
    """The VPC's associations, the associated group's rules, their order and domains."""
    kind = ASSOCIATION
    resolver_client = audit.clients("route53resolver")
    group_ref = props.get("FirewallRuleGroupId", {})
    group_logical_id = str(group_ref.get("Fn::GetAtt", [group_ref.get("Ref")])[0])
    try:
        vpc = audit.resolver.resolve_str(props["VpcId"])
        associations = paginate(
            resolver_client,
            "list_firewall_rule_group_associations",
            "FirewallRuleGroupAssociations",
            VpcId=vpc,
        )
    except (ClientError, BotoCoreError, UnresolvableError, KeyError) as exc:
        raise_if_fatal(exc)
        audit.add(
            "NET-6", logical_id, "", kind, "associated with the room VPC", "an association",
            describe_failure(exc) if not isinstance(exc, UnresolvableError) else str(exc),
            "unverifiable",
        )  # fmt: skip
        return
    live = [a for a in associations if a.get("Status", "COMPLETE") in LIVE_ASSOCIATION_STATES]
    want_rules = _template_rules(audit, group_logical_id)
    expected = f"the room's rule group on {vpc}"
    association = _ours(audit, resolver_client, group_ref, live, want_rules)
    if association is None:
        actual = ", ".join(str(a.get("FirewallRuleGroupId")) for a in live) or "no rule group"
        status: Status = "missing" if not live else "drift"
        audit.add("NET-6", logical_id, "", kind, "associated with the room VPC", expected,
                  f"{actual} (none is the room's)", status)  # fmt: skip
        return
    target = (logical_id, str(association.get("Id", "")), kind)
    audit.add("NET-6", *target, "associated with the room VPC", expected,
              str(association.get("FirewallRuleGroupId")), "ok")  # fmt: skip
    audit.run(
        "NET-6",
        target,
        "rules in order",
        lambda: _compare_rules(want_rules, _rules_of(resolver_client, association)),
    )
    audit.run(
        "NET-6",
        target,
        "priority",
        lambda: equal(str(props.get("Priority")), str(association.get("Priority"))),
    )
    audit.run(
        "NET-6",
        target,
        "mutation protection",
        lambda: equal(
            str(props.get("MutationProtection", "DISABLED")),
            str(association.get("MutationProtection", "DISABLED")),
        ),
    )

    def alone() -> tuple[str, str, Status]:
        # Another group on the VPC evaluated first (lower priority) can ALLOW anything.
        others = [
            f"{a.get('FirewallRuleGroupId')} (priority {a.get('Priority')})"
            for a in live
            if a is not association
        ]
        return (
            "no other rule group on the VPC",
            ", ".join(others) or "none",
            ("drift" if others else "ok"),
        )

    audit.run("NET-6", target, "no other rule group", alone)


def _rules_of(client: Any, association: dict[str, Any]) -> list[str]:
    """The associated group's rules as ``action domains``, in priority order."""
    group_id = str(association.get("FirewallRuleGroupId"))
    rules = paginate(client, "list_firewall_rules", "FirewallRules", FirewallRuleGroupId=group_id)
    rows = []
    for rule in sorted(rules, key=lambda r: int(r.get("Priority", 0))):
        domains = paginate(
            client,
            "list_firewall_domains",
            "Domains",
            FirewallDomainListId=str(rule.get("FirewallDomainListId")),
        )
        rows.append(_row(rule, domains))
    return rows


def _compare_rules(want: list[str], have: list[str]) -> tuple[str, str, Status]:
    """Rules in priority order: the same list, or drift (an ALLOW moved first wins)."""
    return "; ".join(want), "; ".join(have) or "none", "ok" if want == have else "drift"


def _ours(
    audit: StackAudit,
    client: Any,
    group_ref: Any,
    live: list[dict[str, Any]],
    want_rules: list[str],
) -> dict[str, Any] | None:
    """The association of the room's rule group: by its listed id, by its rules, or alone."""
    try:
        group_id: str | None = audit.resolver.resolve_str(group_ref)
    except UnresolvableError:
        group_id = None  # not listed (moto): recognise the group by its rules
    if group_id is not None:
        return next((a for a in live if a.get("FirewallRuleGroupId") == group_id), None)
    by_rules = [a for a in live if _rules_of(client, a) == want_rules]
    if by_rules:
        return by_rules[0]
    return live[0] if len(live) == 1 else None


CHECKER = Checker(ASSOCIATION, "NET-6", check_association, finds_unlisted=True)
