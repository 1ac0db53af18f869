"""DnsFirewall: the glovebox resolves AWS service names and nothing else (NET-6)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_route53resolver as resolver
from constructs import Construct

#: Names AWS SDKs and the endpoints' private DNS use. Everything else is answered NXDOMAIN.
AWS_DOMAINS = ("amazonaws.com", "*.amazonaws.com", "aws", "*.aws", "*.api.aws")


class DnsFirewall(Construct):
    """Route 53 Resolver DNS Firewall on a VPC: allow AWS service domains, block every other.

    DNS is an exfiltration channel that no security group or route table closes: a query for
    ``<data>.attacker.example`` leaves through the VPC resolver. The rule group allows the listed
    domains first and then blocks ``*`` with NXDOMAIN. Room roles cannot detach it (their
    boundary denies ``route53resolver:*``) and any change is alerted; mutation protection is left
    off because it would also stop CloudFormation from updating or deleting the association.

    :param vpc: the glovebox VPC.
    :param allowed_domains: domains to resolve. Default: :data:`AWS_DOMAINS`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        allowed_domains: Sequence[str] = AWS_DOMAINS,
    ) -> None:
        super().__init__(scope, construct_id)
        if not allowed_domains or "*" in allowed_domains:
            raise ValueError(
                f"{self.node.path}: allowed_domains={list(allowed_domains)}: expected a non-empty "
                "list of domains, without '*' (which would allow everything)"
            )
        self.allowed_domains = tuple(allowed_domains)
        allowed = resolver.CfnFirewallDomainList(
            self, "AllowedDomains", domains=list(self.allowed_domains)
        )
        everything = resolver.CfnFirewallDomainList(self, "EveryDomain", domains=["*"])
        self.rule_group = resolver.CfnFirewallRuleGroup(
            self,
            "Resource",
            firewall_rules=[
                resolver.CfnFirewallRuleGroup.FirewallRuleProperty(
                    action="ALLOW", firewall_domain_list_id=allowed.attr_id, priority=100
                ),
                resolver.CfnFirewallRuleGroup.FirewallRuleProperty(
                    action="BLOCK",
                    block_response="NXDOMAIN",
                    firewall_domain_list_id=everything.attr_id,
                    priority=200,
                ),
            ],
        )
        self.association = resolver.CfnFirewallRuleGroupAssociation(
            self,
            "Association",
            firewall_rule_group_id=self.rule_group.attr_id,
            vpc_id=vpc.vpc_id,
            priority=101,
            # Mutation protection would also block CloudFormation from updating or deleting the
            # association; the room boundary denies route53resolver:* and changes are alerted.
            mutation_protection="DISABLED",
        )
