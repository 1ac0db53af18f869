"""What moto cannot model, on recorded API answers (botocore's Stubber, or plain fakes).

moto 5.2 has no Route 53 Resolver firewall (NET-6), no GuardDuty ``ListFilters`` (MON-3), never
leaves an SNS subscription pending confirmation (MON-4), and its EventBridge does not deliver to
SNS (the ``--probe``). Each check is run here on answers shaped as the AWS API documents them,
clean first and then with the weakening, asserting the exact line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from dataroom.audit.checkers.dns_firewall import check_association
from dataroom.audit.checkers.sns import check_subscription
from dataroom.audit.context import StackAudit
from dataroom.audit.discovery import Declared, discover
from dataroom.audit.findings import Finding
from dataroom.audit.probe import probe_topic
from dataroom.audit.resolver import DeployedResource, Resolver
from dataroom.baseline import Baseline
from dataroom.cloud_assembly import StackArtifact

ACCOUNT, REGION, VPC = "333333333333", "us-east-1", "vpc-0room"
GROUP, ALLOWED, EVERY = "rslvr-frg-room", "rslvr-fdl-aws", "rslvr-fdl-every"
TEMPLATE: dict[str, Any] = {
    "Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {}},
        "Allowed": {
            "Type": "AWS::Route53Resolver::FirewallDomainList",
            "Properties": {"Domains": ["amazonaws.com", "*.amazonaws.com"]},
        },
        "Every": {
            "Type": "AWS::Route53Resolver::FirewallDomainList",
            "Properties": {"Domains": ["*"]},
        },
        "Group": {
            "Type": "AWS::Route53Resolver::FirewallRuleGroup",
            "Properties": {
                "FirewallRules": [
                    {
                        "Action": "ALLOW",
                        "Priority": 100,
                        "FirewallDomainListId": {"Fn::GetAtt": ["Allowed", "Id"]},
                    },
                    {
                        "Action": "BLOCK",
                        "BlockResponse": "NXDOMAIN",
                        "Priority": 200,
                        "FirewallDomainListId": {"Fn::GetAtt": ["Every", "Id"]},
                    },
                ]
            },
        },
        "Association": {
            "Type": "AWS::Route53Resolver::FirewallRuleGroupAssociation",
            "Properties": {
                "FirewallRuleGroupId": {"Fn::GetAtt": ["Group", "Id"]},
                "VpcId": {"Ref": "Vpc"},
                "Priority": 101,
                "MutationProtection": "DISABLED",
            },
        },
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
        "Subscription": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": {"Ref": "Topic"},
                "Protocol": "email",
                "Endpoint": "security@example.com",
            },
        },
    }
}
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:room-alerts"
DEPLOYED = {
    "Vpc": VPC,
    "Group": GROUP,
    "Allowed": ALLOWED,
    "Every": EVERY,
    "Association": "rslvr-frgassoc-room",
    "Topic": TOPIC,
}


def make_client(service: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )


@pytest.fixture
def stubbed() -> Iterator[Callable[[str], tuple[Any, Stubber]]]:
    made: dict[str, tuple[Any, Stubber]] = {}

    def get(service: str) -> tuple[Any, Stubber]:
        if service not in made:
            client = make_client(service)
            made[service] = (client, Stubber(client))
            made[service][1].activate()
        return made[service]

    yield get
    for _, stubber in made.values():
        stubber.assert_no_pending_responses()
        stubber.deactivate()


def stack_audit(clients: Callable[[str], Any]) -> StackAudit:
    deployed = {
        k: DeployedResource(k, v, TEMPLATE["Resources"][k]["Type"]) for k, v in DEPLOYED.items()
    }
    artifact = StackArtifact("Room", "Room", "room", ACCOUNT, REGION, Path("t.json"), Path("."))
    resolver = Resolver(
        account=ACCOUNT, region=REGION, stack_name="room", stack_id="id", template=TEMPLATE,
        deployed=deployed,
    )  # fmt: skip
    return StackAudit(
        artifact=artifact, account=ACCOUNT, region=REGION, template=TEMPLATE,
        baseline=Baseline(), clients=clients, resolver=resolver,
    )  # fmt: skip


def lines(findings: list[Finding]) -> list[str]:
    return [f.line() for f in findings]


# --- NET-6: the DNS firewall -------------------------------------------------------------------


def association(
    group: str, priority: int, *, id_: str = "rslvr-frgassoc-room", protection: str = "DISABLED"
) -> dict[str, Any]:
    return {
        "Id": id_, "FirewallRuleGroupId": group, "VpcId": VPC, "Priority": priority,
        "MutationProtection": protection, "Status": "COMPLETE",
    }  # fmt: skip


def rule(list_id: str, priority: int, action: str, block: str | None = None) -> dict[str, Any]:
    out = {"FirewallRuleGroupId": GROUP, "FirewallDomainListId": list_id, "Name": list_id,
           "Priority": priority, "Action": action}  # fmt: skip
    if block:
        out["BlockResponse"] = block
    return out


def answer_firewall(
    stubber: Stubber,
    associations: list[dict[str, Any]],
    rules: list[dict[str, Any]] | None,
    domains: dict[str, list[str]],
) -> None:
    stubber.add_response(
        "list_firewall_rule_group_associations",
        {"FirewallRuleGroupAssociations": associations},
        {"VpcId": VPC},
    )
    if rules is None:
        return
    stubber.add_response(
        "list_firewall_rules", {"FirewallRules": rules}, {"FirewallRuleGroupId": GROUP}
    )
    for r in sorted(rules, key=lambda r: r["Priority"]):
        stubber.add_response(
            "list_firewall_domains",
            {"Domains": domains[r["FirewallDomainListId"]]},
            {"FirewallDomainListId": r["FirewallDomainListId"]},
        )


DOMAINS = {ALLOWED: ["amazonaws.com.", "*.amazonaws.com."], EVERY: ["*."]}
CLEAN_RULES = [rule(ALLOWED, 100, "ALLOW"), rule(EVERY, 200, "BLOCK", "NXDOMAIN")]
WANT_RULES = "ALLOW *.amazonaws.com,amazonaws.com; BLOCK/NXDOMAIN *"


def run_firewall(stubbed: Callable[[str], tuple[Any, Stubber]]) -> list[str]:
    audit = stack_audit(lambda service: stubbed(service)[0])
    check_association(
        audit, "Association", TEMPLATE["Resources"]["Association"]["Properties"], None
    )
    return lines(audit.findings)


def test_dns_firewall_clean(stubbed: Callable[[str], tuple[Any, Stubber]]) -> None:
    answer_firewall(stubbed("route53resolver")[1], [association(GROUP, 101)], CLEAN_RULES, DOMAINS)
    assert run_firewall(stubbed) == [
        f"OK NET-6 room Association (rslvr-frgassoc-room) associated with the room VPC: expected the room's rule group on {VPC}; actual {GROUP}",
        f"OK NET-6 room Association (rslvr-frgassoc-room) rules in order: expected {WANT_RULES}; actual {WANT_RULES}",
        "OK NET-6 room Association (rslvr-frgassoc-room) priority: expected 101; actual 101",
        "OK NET-6 room Association (rslvr-frgassoc-room) mutation protection: expected DISABLED; actual DISABLED",
        "OK NET-6 room Association (rslvr-frgassoc-room) no other rule group: expected no other rule group on the VPC; actual none",
    ]


def test_dns_firewall_an_earlier_allow_wins(stubbed: Callable[[str], tuple[Any, Stubber]]) -> None:
    """An ALLOW of every domain moved before the BLOCK: the order is the control."""
    rules = [
        rule(ALLOWED, 100, "ALLOW"),
        rule(EVERY, 150, "ALLOW"),
        rule(EVERY, 200, "BLOCK", "NXDOMAIN"),
    ]
    domains = {**DOMAINS}
    answer_firewall(stubbed("route53resolver")[1], [association(GROUP, 101)], rules, domains)
    found = run_firewall(stubbed)
    assert (
        f"DRIFT NET-6 room Association (rslvr-frgassoc-room) rules in order: expected {WANT_RULES}; "
        f"actual ALLOW *.amazonaws.com,amazonaws.com; ALLOW *; BLOCK/NXDOMAIN *"
    ) in found
    assert sum(line.startswith("DRIFT") for line in found) == 1


def test_dns_firewall_another_group_first_and_protection_changed(
    stubbed: Callable[[str], tuple[Any, Stubber]],
) -> None:
    associations = [
        association(GROUP, 101, protection="ENABLED"),
        association("rslvr-frg-open", 100, id_="rslvr-frgassoc-open"),
    ]
    answer_firewall(stubbed("route53resolver")[1], associations, CLEAN_RULES, DOMAINS)
    found = [line for line in run_firewall(stubbed) if not line.startswith("OK")]
    assert found == [
        "DRIFT NET-6 room Association (rslvr-frgassoc-room) mutation protection: expected DISABLED; actual ENABLED",
        "DRIFT NET-6 room Association (rslvr-frgassoc-room) no other rule group: expected no other rule group on the VPC; actual rslvr-frg-open (priority 100)",
    ]


def test_dns_firewall_disassociated(stubbed: Callable[[str], tuple[Any, Stubber]]) -> None:
    answer_firewall(stubbed("route53resolver")[1], [], None, DOMAINS)
    assert run_firewall(stubbed) == [
        f"MISSING NET-6 room Association associated with the room VPC: expected the room's rule group on {VPC}; actual no rule group (none is the room's)"
    ]


def test_dns_firewall_not_permitted_is_unverifiable(
    stubbed: Callable[[str], tuple[Any, Stubber]],
) -> None:
    stubbed("route53resolver")[1].add_client_error(
        "list_firewall_rule_group_associations", "AccessDeniedException", "no", 400
    )
    assert run_firewall(stubbed) == [
        "UNVERIFIABLE NET-6 room Association associated with the room VPC: expected an association; "
        "actual not permitted to call ListFirewallRuleGroupAssociations (AccessDeniedException): no"
    ]


# --- MON-4: subscriptions pending confirmation -------------------------------------------------


def run_subscription(stubbed: Callable[[str], tuple[Any, Stubber]]) -> list[str]:
    audit = stack_audit(lambda service: stubbed(service)[0])
    check_subscription(
        audit, "Subscription", TEMPLATE["Resources"]["Subscription"]["Properties"], None
    )
    return lines(audit.findings)


def subscription(arn: str) -> dict[str, Any]:
    return {"SubscriptionArn": arn, "Owner": ACCOUNT, "Protocol": "email",
            "Endpoint": "security@example.com", "TopicArn": TOPIC}  # fmt: skip


def test_an_unconfirmed_subscription_is_drift(
    stubbed: Callable[[str], tuple[Any, Stubber]],
) -> None:
    """SNS lists an unconfirmed e-mail subscription with the ARN ``PendingConfirmation``."""
    stubbed("sns")[1].add_response(
        "list_subscriptions_by_topic",
        {"Subscriptions": [subscription("PendingConfirmation")]},
        {"TopicArn": TOPIC},
    )
    assert run_subscription(stubbed) == [
        f"OK MON-4 room Subscription (PendingConfirmation) subscribed: expected email security@example.com on {TOPIC}; actual subscribed",
        "DRIFT MON-4 room Subscription (PendingConfirmation) confirmed: expected confirmed; actual pending confirmation",
    ]


def test_a_confirmed_subscription_is_ok_and_a_pending_attribute_is_not(
    stubbed: Callable[[str], tuple[Any, Stubber]],
) -> None:
    arn = f"{TOPIC}:1111-2222"
    _, sns = stubbed("sns")
    for pending in ("false", "true"):
        sns.add_response(
            "list_subscriptions_by_topic",
            {"Subscriptions": [subscription(arn)]},
            {"TopicArn": TOPIC},
        )
        sns.add_response(
            "get_subscription_attributes",
            {"Attributes": {"PendingConfirmation": pending}},
            {"SubscriptionArn": arn},
        )
    confirmed, pending_now = run_subscription(stubbed)[1], run_subscription(stubbed)[1]
    assert (
        confirmed
        == f"OK MON-4 room Subscription ({arn}) confirmed: expected confirmed; actual confirmed"
    )
    assert (
        pending_now
        == f"DRIFT MON-4 room Subscription ({arn}) confirmed: expected confirmed; actual pending confirmation"
    )


# --- MON-3: GuardDuty filters that auto-archive -----------------------------------------------


def test_a_filter_that_archives_findings_is_reported(
    stubbed: Callable[[str], tuple[Any, Stubber]],
) -> None:
    _, guardduty = stubbed("guardduty")
    guardduty.add_response("list_detectors", {"DetectorIds": ["d-1"]}, {})
    guardduty.add_response(
        "list_filters", {"FilterNames": ["quiet", "tag-only"]}, {"DetectorId": "d-1"}
    )
    criteria = {"Criterion": {"severity": {"Gte": 1}}}
    guardduty.add_response(
        "get_filter",
        {"Name": "quiet", "Action": "ARCHIVE", "Rank": 1, "FindingCriteria": criteria},
        {"DetectorId": "d-1", "FilterName": "quiet"},
    )
    guardduty.add_response(
        "get_filter",
        {"Name": "tag-only", "Action": "NOOP", "Rank": 2, "FindingCriteria": criteria},
        {"DetectorId": "d-1", "FilterName": "tag-only"},
    )

    def clients(service: str, region: str) -> Any:
        if service != "guardduty":
            raise KeyError(f"{service} is not recorded here")
        return stubbed(service)[0]

    findings = discover(
        clients, account=ACCOUNT, home=REGION, regions=[REGION], declared=Declared(), room=True,
        stack=f"account {ACCOUNT}", map_regions=lambda work, items: [work(i) for i in items],
    )  # fmt: skip
    mon3 = [f.line() for f in findings if f.control == "MON-3"]
    assert mon3 == [
        f"DRIFT MON-3 account {ACCOUNT} {REGION}/d-1/quiet (d-1/quiet) no undeclared GuardDuty "
        f"filter that auto-archives: expected none in 1 region(s); actual filter quiet "
        f"auto-archives findings matching {json.dumps(criteria, sort_keys=True)}"
    ]
    # Every other kind could not be read here: said so, never ok.
    others = [f for f in findings if f.control != "MON-3"]
    assert others and all(f.status == "unverifiable" for f in others)


# --- MON-4: the probe, through a fake account that delivers (or not) ----------------------------


class FakeAccount:
    """EventBridge -> SNS -> SQS as the API behaves; ``events_deliver=False`` breaks the first leg."""

    def __init__(self, *, events_deliver: bool) -> None:
        self.events_deliver = events_deliver
        self.rules: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, str] = {}
        self.queues: dict[str, list[str]] = {}
        self.calls: list[str] = []

    def __call__(self, service: str) -> Any:
        return self

    # sqs
    def create_queue(self, QueueName: str) -> dict[str, Any]:  # noqa: N803
        self.queues[QueueName] = []
        return {"QueueUrl": QueueName}

    def get_queue_attributes(self, QueueUrl: str, AttributeNames: list[str]) -> dict[str, Any]:  # noqa: N803
        return {"Attributes": {"QueueArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{QueueUrl}"}}

    def set_queue_attributes(self, **_: Any) -> None:
        self.calls.append("set_queue_attributes")

    def receive_message(self, QueueUrl: str, **_: Any) -> dict[str, Any]:  # noqa: N803
        return {"Messages": [{"Body": b} for b in self.queues.get(QueueUrl, [])]}

    def delete_queue(self, QueueUrl: str) -> None:  # noqa: N803
        self.calls.append("delete_queue")
        del self.queues[QueueUrl]

    # sns
    def subscribe(self, TopicArn: str, Endpoint: str, **_: Any) -> dict[str, Any]:  # noqa: N803
        self.subscriptions["sub-1"] = Endpoint.rsplit(":", 1)[-1]
        return {"SubscriptionArn": "sub-1"}

    def unsubscribe(self, SubscriptionArn: str) -> None:  # noqa: N803
        self.calls.append("unsubscribe")
        del self.subscriptions[SubscriptionArn]

    def publish(self, TopicArn: str, Message: str) -> None:  # noqa: N803
        for queue in self.subscriptions.values():
            self.queues[queue].append(Message)

    # events
    def put_rule(self, Name: str, EventPattern: str, **_: Any) -> None:  # noqa: N803
        self.rules[Name] = {"pattern": json.loads(EventPattern), "targets": []}

    def put_targets(self, Rule: str, Targets: list[dict[str, Any]]) -> None:  # noqa: N803
        self.rules[Rule]["targets"] = Targets

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        for entry in Entries:
            detail = json.loads(entry["Detail"])
            for rule in self.rules.values():
                matches = (
                    entry["Source"] in rule["pattern"]["source"]
                    and detail["probe"] in rule["pattern"]["detail"]["probe"]
                )
                if matches and self.events_deliver:
                    for target in rule["targets"]:
                        self.publish(target["Arn"], json.dumps(entry))
        return {"FailedEntryCount": 0, "Entries": [{"EventId": "e"}]}

    def remove_targets(self, Rule: str, Ids: list[str]) -> None:  # noqa: N803
        self.calls.append("remove_targets")

    def delete_rule(self, Name: str) -> None:  # noqa: N803
        self.calls.append("delete_rule")
        del self.rules[Name]


@pytest.mark.parametrize(
    ("deliver", "status", "actual"),
    [
        (True, "ok", "arrived (probe "),
        (
            False,
            "drift",
            "nothing arrived in 0 s through EventBridge; a direct publish to the topic did arrive",
        ),
    ],
    ids=["delivered", "EventBridge leg broken"],
)
def test_the_probe_sees_the_event_arrive_and_cleans_up(
    deliver: bool, status: str, actual: str
) -> None:
    account = FakeAccount(events_deliver=deliver)
    expected, got, verdict = probe_topic(account, TOPIC, wait_s=0, sleep=lambda _: None)
    assert expected == "a test event through EventBridge and the topic arrives"
    assert (verdict, got.startswith(actual)) == (status, True), got
    assert not account.rules and not account.subscriptions and not account.queues
    assert account.calls[-4:] == ["remove_targets", "delete_rule", "unsubscribe", "delete_queue"]
