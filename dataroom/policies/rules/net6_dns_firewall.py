"""NET-6: a DNS firewall that blocks every domain but AWS's is associated with the room VPC."""

from __future__ import annotations

from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.template_policy import refers_to


def _blocks_everything(ctx: RuleContext, group_id: str) -> bool:
    group = ctx.template["Resources"].get(group_id, {})
    lists = dict(ctx.resources("AWS::Route53Resolver::FirewallDomainList"))
    for rule in group.get("Properties", {}).get("FirewallRules", []):
        domain_list = rule.get("FirewallDomainListId", {})
        target = domain_list.get("Fn::GetAtt", [None])[0] if isinstance(domain_list, dict) else None
        domains = lists.get(str(target), {}).get("Properties", {}).get("Domains", [])
        if rule.get("Action") == "BLOCK" and "*" in domains:
            return True
    return False


def check(ctx: RuleContext) -> Verdict:
    for _, association in ctx.resources("AWS::Route53Resolver::FirewallRuleGroupAssociation"):
        props = association.get("Properties", {})
        group = props.get("FirewallRuleGroupId", {})
        group_id = group.get("Fn::GetAtt", [None])[0] if isinstance(group, dict) else None
        vpc = props.get("VpcId")
        if refers_to(vpc, ctx.logical_id) and group_id and _blocks_everything(ctx, group_id):
            return True
    return False


RULE = Rule(
    rule_id="NET6DnsFirewall",
    control="NET-6",
    info="The VPC has no DNS firewall that blocks every domain except AWS service domains.",
    explanation="DNS queries leave the VPC through the resolver: without a firewall they are an "
    "exfiltration channel no route table closes.",
    resource_types=frozenset({"AWS::EC2::VPC"}),
    check=check,
    rooms_only=True,
)
