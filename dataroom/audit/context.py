"""The audit of one deployed stack: its clients, its resolver, its findings (:class:`StackAudit`).

Checkers (``dataroom/audit/checkers/``) receive a :class:`StackAudit` and add findings through
:meth:`StackAudit.run` and :meth:`StackAudit.fetch`, which turn every failure to read or compare
into an ``unverifiable`` finding with the reason (never ``ok``), and re-raise only what stops the
whole audit (no credentials, no endpoint).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from dataroom.audit.errors import (
    UnresolvableError,
    UnverifiableError,
    describe_error,
    error_code,
    raise_if_fatal,
)
from dataroom.audit.findings import Finding, Status
from dataroom.audit.policy import parse_policy, policy_difference, policy_summary
from dataroom.audit.resolver import Resolver
from dataroom.baseline import Baseline
from dataroom.cloud_assembly import StackArtifact

#: ``(logical id, physical id, resource type)`` of the resource a finding is about.
Target = tuple[str, str, str]
#: What a comparison returns: (expected, actual, status).
Comparison = tuple[str, str, Status]


def is_room(template: Mapping[str, Any]) -> bool:
    """A room stack: tagged ``kind: room``; untagged, any stack with a VPC."""
    kind = template.get("Metadata", {}).get("dataroom", {}).get("kind")
    if kind is not None:
        return bool(kind == "room")
    resources = template.get("Resources", {}).values()
    return any(r.get("Type") == "AWS::EC2::VPC" for r in resources)


def key_id_of(value: str) -> str:
    """The key id in a KMS key ARN (or the value itself: an id or an alias)."""
    return value.rsplit(":key/", 1)[-1] if ":key/" in value else value


def flag(want: bool, have: bool) -> Comparison:
    """Two booleans, as ``true``/``false``."""
    return str(want).lower(), str(have).lower(), "ok" if want == have else "drift"


def equal(want: str, have: str) -> Comparison:
    """Two strings."""
    return want, have, "ok" if want == have else "drift"


def none_of(found: Sequence[str]) -> Comparison:
    """Nothing may be found."""
    return "none", ", ".join(found) or "none", "drift" if found else "ok"


def paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    """Every item of a (possibly paginated) list operation."""
    if client.can_paginate(operation):
        pages = client.get_paginator(operation).paginate(**kwargs)
        return [item for page in pages for item in page.get(key, [])]
    return list(getattr(client, operation)(**kwargs).get(key, []))


@dataclass
class StackAudit:
    """The audit of one deployed stack: its resources, its clients and its findings."""

    artifact: StackArtifact
    account: str
    region: str
    template: dict[str, Any]
    baseline: Baseline
    clients: Callable[[str], Any]
    resolver: Resolver
    findings: list[Finding] = field(default_factory=list)
    #: Memoized reads shared by several checks (config rules, trails of the account, ...).
    cache: dict[str, Any] = field(default_factory=dict)
    #: Account resources already matched to a template resource (config rules found by source).
    claimed: set[str] = field(default_factory=set)
    #: Resource type -> how to find a resource of that type CloudFormation does not list.
    locators: Mapping[str, Callable[[StackAudit, str, dict[str, Any]], str | None]] = field(
        default_factory=dict
    )

    @property
    def resources(self) -> dict[str, Any]:
        """The template's resources by logical id."""
        resources: dict[str, Any] = self.template.get("Resources", {})
        return resources

    @property
    def room(self) -> bool:
        """A room stack (tagged so, or, untagged, a stack with a VPC)."""
        return is_room(self.template)

    def add(
        self,
        control: str,
        logical_id: str,
        physical_id: str,
        resource_type: str,
        check: str,
        expected: str,
        actual: str,
        status: Status,
    ) -> None:
        """Add one finding about this stack."""
        self.findings.append(
            Finding(
                stack=self.artifact.stack_name,
                control=control,
                logical_id=logical_id,
                physical_id=physical_id,
                resource_type=resource_type,
                check=check,
                expected=expected,
                actual=actual,
                status=status,
                account=self.account,
                region=self.region,
            )
        )

    def run(
        self,
        control: str,
        target: tuple[str, str, str],
        check: str,
        compare: Callable[[], tuple[str, str, Status]],
    ) -> None:
        """Add the finding ``compare`` returns as (expected, actual, status); never crash."""
        logical_id, physical_id, resource_type = target
        try:
            expected, actual, status = compare()
        except UnresolvableError as exc:
            expected, actual, status = "", f"template value not resolved: {exc}", "unverifiable"
        except UnverifiableError as exc:
            expected, actual, status = exc.expected, exc.reason, "unverifiable"
        except ClientError as exc:
            raise_if_fatal(exc)
            expected, actual, status = "", describe_error(exc), "unverifiable"
        except BotoCoreError as exc:
            raise_if_fatal(exc)
            expected, actual, status = "", f"not read: {exc}", "unverifiable"
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            # A shape the audit did not foresee (a policy it cannot parse, ...): not a pass.
            reason = f"not compared: {type(exc).__name__}: {exc}"
            expected, actual, status = "", reason, "unverifiable"
        self.add(control, logical_id, physical_id, resource_type, check, expected, actual, status)

    def fetch(
        self,
        control: str,
        target: tuple[str, str, str],
        read: Callable[[], Any],
        not_found: Callable[[ClientError], bool],
        *,
        what: str,
    ) -> Any:
        """Read a resource for its checks, adding its "exists" finding; ``None`` if absent."""
        try:
            found = read()
        except ClientError as exc:
            raise_if_fatal(exc)
            if not_found(exc):
                self.add(
                    control, *target, "exists", what, f"not found ({error_code(exc)})", "missing"
                )
            else:
                self.add(control, *target, "exists", what, describe_error(exc), "unverifiable")
            return None
        except BotoCoreError as exc:
            raise_if_fatal(exc)
            self.add(control, *target, "exists", what, f"not read: {exc}", "unverifiable")
            return None
        if found is None:
            self.add(control, *target, "exists", what, "not found", "missing")
            return None
        self.add(control, *target, "exists", what, "found", "ok")
        return found

    def cached(self, key: str, read: Callable[[], Any]) -> Any:
        """``read()`` once per stack audit under ``key``."""
        if key not in self.cache:
            self.cache[key] = read()
        return self.cache[key]

    def locate(self, logical_id: str) -> str | None:
        """The physical id of a resource CloudFormation does not list, found by name or kind."""
        located: str | None = self.cached(f"locate:{logical_id}", lambda: self._locate(logical_id))
        return located

    def _locate(self, logical_id: str) -> str | None:
        resource = self.resources.get(logical_id, {})
        kind, props = resource.get("Type"), resource.get("Properties", {})
        if kind == "AWS::CloudTrail::Trail":
            return self.trail_name(props)
        if kind == "AWS::GuardDuty::Detector":
            # One detector per account and region: an unlisted detector can only be that one.
            ids = self.clients("guardduty").list_detectors().get("DetectorIds", [])
            return str(ids[0]) if ids else None
        if kind == "AWS::Config::ConfigRule":
            rule = self.locate_config_rule(logical_id, props, self.account_config_rules())
            if rule is None:
                return None
            self.claimed.add(str(rule["ConfigRuleName"]))
            return str(rule["ConfigRuleName"])
        locator = self.locators.get(str(kind))
        return locator(self, logical_id, dict(props)) if locator else None

    def lookup(self, logical_id: str, kind: str, physical_id: str, attribute: str) -> str | None:
        """An attribute only the service knows (the resolver's ``lookup`` hook)."""
        del logical_id
        ec2 = self.clients("ec2")
        if kind == "AWS::EC2::VPC" and attribute == "DefaultSecurityGroup":
            groups = ec2.describe_security_groups(
                Filters=[
                    {"Name": "vpc-id", "Values": [physical_id]},
                    {"Name": "group-name", "Values": ["default"]},
                ]
            )["SecurityGroups"]
            return str(groups[0]["GroupId"]) if groups else None
        if kind == "AWS::EC2::VPC" and attribute == "CidrBlock":
            return str(ec2.describe_vpcs(VpcIds=[physical_id])["Vpcs"][0]["CidrBlock"])
        return None

    # -- shared comparisons --------------------------------------------------------------

    def resource_type(self, logical_id: str) -> str:
        """The template type of a logical id ("" when the template has no such resource)."""
        return str(self.resources.get(logical_id, {}).get("Type", ""))

    def of_type(self, *types: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(logical id, properties)`` of the template's resources of these types."""
        for logical_id, resource in self.resources.items():
            if resource.get("Type") in types:
                yield logical_id, dict(resource.get("Properties", {}))

    def policy(self, template_policy: Any, actual: Any) -> Comparison:
        """The deployed policy compared with the template's (resolved) by meaning."""
        want = self.resolver.resolve(template_policy)
        if actual in (None, ""):
            return policy_summary(want), "no policy", "missing"
        difference = policy_difference(want, actual)
        if difference is None:
            return policy_summary(want), "the same", "ok"
        return policy_summary(want), difference, "drift"

    def key_id(self, value: str) -> str:
        """The key id of an ARN, id or alias (an alias is looked up)."""
        if "alias/" not in value:
            return key_id_of(value)
        metadata = self.clients("kms").describe_key(KeyId=value)["KeyMetadata"]
        return str(metadata["KeyId"])

    def trail_name(self, props: Mapping[str, Any]) -> str | None:
        """The name of the template's trail (by ``TrailName``, else by its bucket)."""
        if "TrailName" in props:
            return self.resolver.resolve_str(props["TrailName"])
        bucket = self.resolver.resolve_str(props["S3BucketName"])
        trails = self.clients("cloudtrail").describe_trails(includeShadowTrails=False)
        for trail in trails.get("trailList", []):
            if trail.get("S3BucketName") == bucket:
                return str(trail["Name"])
        return None

    def account_config_rules(self) -> list[dict[str, Any]]:
        """Every Config rule of the account and region (read once)."""

        def read() -> list[dict[str, Any]]:
            return paginate(self.clients("config"), "describe_config_rules", "ConfigRules")

        rules: list[dict[str, Any]] = self.cached("config-rules", read)
        return rules

    def locate_config_rule(
        self, logical_id: str, props: Mapping[str, Any], rules: Sequence[Mapping[str, Any]]
    ) -> Mapping[str, Any] | None:
        """The account's rule that stands for a template rule CloudFormation does not list."""
        by_name = {str(r["ConfigRuleName"]): r for r in rules}
        if "ConfigRuleName" in props:
            return by_name.get(self.resolver.resolve_str(props["ConfigRuleName"]))
        # Unlisted and unnamed: CloudFormation's name (<stack>-<logical id>-<suffix>) first,
        # then any unclaimed rule of the same source.
        prefix = f"{self.artifact.stack_name}-{logical_id}"
        for name, rule in by_name.items():
            if name.startswith(prefix) and name not in self.claimed:
                return rule
        source = props.get("Source", {})
        for name, rule in by_name.items():
            if name in self.claimed:
                continue
            if rule.get("Source", {}).get("Owner") == source.get("Owner") and rule.get(
                "Source", {}
            ).get("SourceIdentifier") == source.get("SourceIdentifier"):
                return rule
        return None

    def account_policy(self, document: Any) -> str:
        """A deployed policy as compact JSON (for a finding's ``actual``)."""
        return json.dumps(parse_policy(document), sort_keys=True)
