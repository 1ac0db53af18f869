"""Account-wide checks, once per audited account after its stacks: discovery (what was added
beside the templates), the baseline's own fields, and (``probe=True``) a live alert-path probe."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from dataroom.audit.baseline_checks import check_baseline
from dataroom.audit.context import StackAudit
from dataroom.audit.discovery import Declared, discover, enabled_regions
from dataroom.audit.errors import UnresolvableError, describe_failure, raise_if_fatal
from dataroom.audit.findings import AUDIT_CONTROL, Finding
from dataroom.baseline import Baseline

#: Regions read at once within one account.
REGION_CONCURRENCY = 8


def declared_in(
    audits: Sequence[StackAudit],
    audit_roles: Sequence[str] = (),
    trusted_accounts: Sequence[str] = (),
) -> Declared:
    """Everything the account's stacks declare, by physical id and by name."""
    declared = Declared(audit_roles=set(audit_roles), trusted_accounts=set(trusted_accounts))
    for audit in audits:
        for resource in audit.resolver.deployed.values():
            declared.ids.add(resource.physical_id)
            if resource.resource_type == "AWS::EC2::VPC":
                declared.vpcs.add(resource.physical_id)
            if resource.resource_type == "AWS::IAM::Role":
                declared.role_names.add(resource.physical_id)
        for logical_id, props in audit.of_type("AWS::CloudTrail::Trail", "AWS::IAM::Role"):
            kind = audit.resources[logical_id]["Type"]
            key = "TrailName" if kind == "AWS::CloudTrail::Trail" else "RoleName"
            try:
                name = audit.resolver.resolve_str(props[key]) if key in props else None
            except UnresolvableError:
                name = None
            if name:
                (declared.trail_names if key == "TrailName" else declared.role_names).add(name)
    return declared


class CachingClient:
    """A client whose read calls are answered once per account audit.

    Discovery and the baseline checks read the same lists (VPCs, functions, notebooks, trails)
    in every region; each is asked of the service once.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._cache: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _cached(self, key: str, read: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        value = read()
        with self._lock:
            self._cache[key] = value
        return value

    def can_paginate(self, operation: str) -> bool:
        return bool(self._client.can_paginate(operation))

    def get_paginator(self, operation: str) -> Any:
        client = self

        class Pages:
            def paginate(self, **kwargs: Any) -> list[Any]:
                key = f"pages:{operation}:{json.dumps(kwargs, sort_keys=True, default=str)}"
                paginator = client._client.get_paginator(operation)
                return list(client._cached(key, lambda: list(paginator.paginate(**kwargs))))

        return Pages()

    def __getattr__(self, operation: str) -> Any:
        call = getattr(self._client, operation)

        def cached(**kwargs: Any) -> Any:
            key = f"call:{operation}:{json.dumps(kwargs, sort_keys=True, default=str)}"
            return self._cached(key, lambda: call(**kwargs))

        return cached


def _map_regions(work: Callable[[str], Any], regions: list[str]) -> list[Any]:
    if len(regions) <= 1:
        return [work(r) for r in regions]
    with ThreadPoolExecutor(max_workers=min(REGION_CONCURRENCY, len(regions))) as pool:
        return list(pool.map(work, regions))


def audit_accounts(
    audits: Sequence[StackAudit],
    baseline: Baseline,
    factory: Callable[[str, str, str], Any],
    *,
    discover_added: bool = True,
    probe: bool = False,
    concurrency: int = 1,
    tick: Callable[[str], None] | None = None,
    audit_roles: Sequence[str] = (),
    trusted_accounts: Sequence[str] = (),
) -> list[Finding]:
    """The account-wide findings of every account the stacks live in."""
    by_account: dict[str, list[StackAudit]] = {}
    for audit in audits:
        by_account.setdefault(audit.account, []).append(audit)

    def one(account: str) -> list[Finding]:
        stack_audits = by_account[account]
        findings = _audit_account(
            account, stack_audits, baseline, factory, discover_added, probe,
            audit_roles, trusted_accounts,
        )  # fmt: skip
        if tick is not None:
            tick(f"account {account}")
        return findings

    accounts = sorted(by_account)
    if concurrency > 1 and len(accounts) > 1:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            results = list(pool.map(one, accounts))
    else:
        results = [one(a) for a in accounts]
    return [f for found in results for f in found]


def _audit_account(
    account: str,
    audits: Sequence[StackAudit],
    baseline: Baseline,
    factory: Callable[[str, str, str], Any],
    discover_added: bool,
    probe: bool,
    audit_roles: Sequence[str],
    trusted_accounts: Sequence[str],
) -> list[Finding]:
    room = any(a.room for a in audits)
    label = f"account {account}"
    home = audits[0].region
    stack_regions = sorted({a.region for a in audits})
    clients: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def client(service: str, region: str) -> Any:
        key = (service, region)
        with lock:
            if key not in clients:
                clients[key] = CachingClient(factory(service, account, region))
            return clients[key]

    findings: list[Finding] = []
    try:
        regions = enabled_regions(client, home)
    except (ClientError, BotoCoreError, KeyError, TypeError, ValueError) as exc:
        raise_if_fatal(exc)
        findings.append(
            Finding(
                label,
                AUDIT_CONTROL,
                "account",
                "",
                "account",
                "enabled regions",
                "the account's enabled regions",
                describe_failure(exc),
                "unverifiable",
                account,
                home,
            )
        )
        regions = stack_regions
    declared = declared_in(audits, audit_roles, trusted_accounts)
    if discover_added:
        findings += discover(
            client,
            account=account,
            home=home,
            regions=regions,
            declared=declared,
            room=room,
            stack=label,
            map_regions=_map_regions,
        )
        findings += check_baseline(
            baseline,
            client,
            stack=label,
            account=account,
            room=room,
            stack_regions=stack_regions,
            regions=regions,
            map_regions=_map_regions,
            declared=declared.ids,
        )
    if probe:
        from dataroom.audit.probe import probe_alert_path

        for audit in audits:
            findings += probe_alert_path(audit)
    return findings
