"""NET-6: a DNS firewall whose BLOCK of every domain is reached is associated with the room VPC.

Route 53 Resolver DNS Firewall applies rules lowest priority first and the first match wins: an
earlier ALLOW of ``*`` makes a later BLOCK of ``*`` dead, so the order is judged, not presence.
"""

from __future__ import annotations

from typing import Any

from dataroom.controls.judge import dns_catch_all_reached
from dataroom.policies.rules.base import Rule, RuleContext, Verdict, ref_target
from dataroom.template_policy import as_list, refers_to


def group_rules(ctx: RuleContext, group_id: str) -> list[dict[str, Any]]:
    """A rule group's rules as ``{"priority", "action", "domains"}`` (domains resolved)."""
    group = ctx.template.get("Resources", {}).get(group_id, {})
    lists = dict(ctx.resources("AWS::Route53Resolver::FirewallDomainList"))
    out = []
    for rule in as_list(group.get("Properties", {}).get("FirewallRules")):
        target = ref_target(rule.get("FirewallDomainListId"))
        domains = lists.get(str(target), {}).get("Properties", {}).get("Domains", [])
        out.append(
            {"priority": rule.get("Priority"), "action": rule.get("Action"), "domains": domains}
        )
    return out


def check(ctx: RuleContext) -> Verdict:
    for _, association in ctx.resources("AWS::Route53Resolver::FirewallRuleGroupAssociation"):
        props = association.get("Properties", {})
        group_id = ref_target(props.get("FirewallRuleGroupId"))
        if not refers_to(props.get("VpcId"), ctx.logical_id) or not group_id:
            continue
        if dns_catch_all_reached(group_rules(ctx, group_id)):
            return True
        return [f"{group_id}: an earlier rule ALLOWs '*' before the BLOCK of '*' (or no BLOCK)"]
    return ["no DNS firewall rule group associated with the VPC"]


RULE = Rule(
    rule_id="NET6DnsFirewall",
    control="NET-6",
    info="The VPC has no DNS firewall whose BLOCK of every domain (except AWS service domains "
    "allowed before it) is reached.",
    explanation="DNS queries leave the VPC through the resolver: without a firewall that blocks "
    "them they are an exfiltration channel no route table closes.",
    resource_types=frozenset({"AWS::EC2::VPC"}),
    check=check,
    never_suppressible=True,
    rooms_only=True,
)
