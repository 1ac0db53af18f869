"""Running an audit: stacks (concurrently, in their accounts), then each account as a whole.

:func:`audit_assembly` reads the assembly, resolves each stack's deployed resources with
CloudFormation's ``ListStackResources``, runs the checker of every template resource, and then,
once per account, the account-wide checks: discovery of what was added beside the templates
(:mod:`dataroom.audit.discovery`), the baseline's own fields (:mod:`dataroom.audit.baseline_checks`)
and, with ``probe=True``, a test event through the alert path (:mod:`dataroom.audit.probe`).

A fleet is the same run with ``role_name``: every stack's account is entered by assuming
``arn:<partition>:iam::<account>:role/<role_name>``, ``concurrency`` stacks at a time.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from dataroom.audit.assembly import read_assembly, read_template, select_stacks
from dataroom.audit.checkers.catalog import BY_TYPE
from dataroom.audit.checkers.config import check_baseline_config_rules
from dataroom.audit.context import StackAudit, paginate
from dataroom.audit.errors import (
    AssemblyError,
    AuditError,
    UnresolvableError,
    describe_error,
    describe_failure,
    error_code,
    raise_if_fatal,
)
from dataroom.audit.findings import AUDIT_CONTROL, AuditReport, Finding, StackOutcome
from dataroom.audit.resolver import DeployedResource, Resolver
from dataroom.baseline import Baseline
from dataroom.cloud_assembly import StackArtifact
from dataroom.template_policy import partition_of

#: ``factory(service, account, region)``: a boto3 client acting in that account and region.
ClientFactory = Callable[[str, str, str], Any]
#: ``progress(done, total, what)``: called after each stack and account is audited.
Progress = Callable[[int, int, str], None]

#: Stack states whose resources are the template's (a failed update leaves the previous ones).
SETTLED_STACK_STATES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})
#: The session name the audit's assumed roles carry (visible in the audited account's trail).
SESSION_NAME = "dataroom-audit"
DEFAULT_CONCURRENCY = 4


def _client_config(local: bool) -> Config:
    return Config(
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=10,
        read_timeout=60,
        s3={"addressing_style": "path"} if local else {},
        max_pool_connections=32,
    )


def default_client_factory(endpoint_url: str | None = None) -> ClientFactory:
    """boto3 clients of the default credential chain, in the region asked (account ignored).

    One fresh session per factory, so one run resolves credentials once and never reuses another
    run's. ``endpoint_url`` (or boto3's own ``AWS_ENDPOINT_URL``) points the clients at a local
    endpoint such as moto; S3 then uses path-style addresses, which such endpoints need.
    """
    session = boto3.session.Session()
    config = _client_config(bool(endpoint_url or os.environ.get("AWS_ENDPOINT_URL")))
    lock = threading.Lock()

    def make(service: str, account: str, region: str) -> Any:
        del account  # the credentials decide the account; audit_assembly compares it first
        with lock:  # boto3 sessions are not thread-safe when creating clients
            return session.client(  # type: ignore[call-overload]
                service, region_name=region, endpoint_url=endpoint_url, config=config
            )

    return make


def assume_role_factory(
    role_name: str,
    *,
    endpoint_url: str | None = None,
    base: ClientFactory | None = None,
    session_name: str = SESSION_NAME,
) -> ClientFactory:
    """Clients acting in each account through ``arn:<partition>:iam::<account>:role/<role_name>``.

    The role is assumed once per account (with the base credentials, by default the default
    chain) and its session reused for every client of that account.
    """
    base = base or default_client_factory(endpoint_url)
    config = _client_config(bool(endpoint_url or os.environ.get("AWS_ENDPOINT_URL")))
    sessions: dict[str, boto3.session.Session] = {}
    lock = threading.Lock()

    def session_for(account: str, region: str) -> boto3.session.Session:
        with lock:
            if account not in sessions:
                arn = f"arn:{partition_of(region)}:iam::{account}:role/{role_name}"
                credentials = base("sts", account, region).assume_role(
                    RoleArn=arn, RoleSessionName=session_name, DurationSeconds=3600
                )["Credentials"]
                sessions[account] = boto3.session.Session(
                    aws_access_key_id=credentials["AccessKeyId"],
                    aws_secret_access_key=credentials["SecretAccessKey"],
                    aws_session_token=credentials["SessionToken"],
                )
            return sessions[account]

    def make(service: str, account: str, region: str) -> Any:
        session = session_for(account, region)
        with lock:
            return session.client(  # type: ignore[call-overload]
                service, region_name=region, endpoint_url=endpoint_url, config=config
            )

    return make


@dataclass
class StackResult:
    """One stack's outcome, findings and (when audited) its audit, for the account phase."""

    outcome: StackOutcome
    findings: list[Finding]
    audit: StackAudit | None = None


def audit_assembly(
    assembly: Path,
    baseline: Baseline,
    *,
    client_factory: ClientFactory | None = None,
    endpoint_url: str | None = None,
    stacks: Sequence[str] | None = None,
    default_region: str | None = None,
    role_name: str | None = None,
    concurrency: int = 1,
    progress: Progress | None = None,
    discover: bool = True,
    probe: bool = False,
    trusted_accounts: Sequence[str] = (),
) -> AuditReport:
    """Audit every (or each named) stack of ``assembly`` in its deployed account.

    Without ``client_factory`` or ``role_name`` the default credential chain is used and stacks
    of accounts other than the credentials' are skipped. With ``role_name`` each stack's account
    is entered by assuming that role; with ``client_factory``, ``client_factory(service,
    account, region)`` must return a client acting in that account. :class:`AuditError` (a usage
    problem: no assembly, no credentials, no endpoint) is the only exception to expect.
    """
    artifacts = select_stacks(read_assembly(assembly), list(stacks or ()))
    if not artifacts:
        raise AssemblyError(f"{assembly}: the cloud assembly holds no CloudFormation stack")
    if concurrency < 1:
        raise AuditError(f"concurrency must be 1 or more, not {concurrency}")
    factory = client_factory
    if factory is None and role_name:
        factory = assume_role_factory(role_name, endpoint_url=endpoint_url)
    checks_account = client_factory is None and not role_name
    if factory is None:
        factory = default_client_factory(endpoint_url)
    caller_account: str | None = None
    try:
        if checks_account or any(a.account is None for a in artifacts):
            region = next((a.region for a in artifacts if a.region), default_region or "us-east-1")
            identify = client_factory or default_client_factory(endpoint_url)
            identity = identify("sts", "", region).get_caller_identity()
            caller_account = str(identity["Account"])
    except (BotoCoreError, ClientError) as exc:
        raise_if_fatal(exc)
        raise AuditError(f"the audit could not run: {describe_failure(exc)}") from exc

    placed: list[tuple[StackArtifact, str, str]] = []
    for artifact in artifacts:
        account = artifact.account or caller_account or ""
        region = artifact.region or default_region or ""
        if not region:
            raise AuditError(
                f"{artifact.display_name} is environment-agnostic; set AWS_REGION to audit it"
            )
        placed.append((artifact, account, region))

    accounts = sorted({account for _, account, _ in placed})
    total = len(placed) + (len(accounts) if discover or probe else 0)
    done = [0]
    lock = threading.Lock()

    def tick(what: str) -> None:
        if progress is not None:
            with lock:
                done[0] += 1
                progress(done[0], total, what)

    def one(item: tuple[StackArtifact, str, str]) -> StackResult:
        artifact, account, region = item
        if checks_account and caller_account and account != caller_account:
            result = StackResult(
                StackOutcome(
                    artifact.artifact_id, artifact.stack_name, account, region, "skipped",
                    f"credentials are for account {caller_account}",
                ),
                [],
            )  # fmt: skip
        elif role_name:
            # A fleet: one account that cannot be entered or read fails alone, said so.
            try:
                result = _audit_stack(artifact, account, region, baseline, factory)
            except AuditError as exc:
                result = StackResult(
                    StackOutcome(
                        artifact.artifact_id, artifact.stack_name, account, region, "failed",
                        str(exc),
                    ),
                    [],
                )  # fmt: skip
        else:
            result = _audit_stack(artifact, account, region, baseline, factory)
        tick(f"{artifact.stack_name} ({account}/{region})")
        return result

    results = _map(one, placed, concurrency)
    account_findings: list[Finding] = []
    if discover or probe:
        from dataroom.audit.account import audit_accounts

        account_findings = audit_accounts(
            [r.audit for r in results if r.audit is not None],
            baseline,
            factory,
            discover_added=discover,
            probe=probe,
            concurrency=concurrency,
            tick=tick,
            audit_roles=[role_name] if role_name else [],
            trusted_accounts=trusted_accounts,
        )
    return AuditReport(
        assembly=str(assembly),
        baseline=baseline.source,
        stacks=tuple(r.outcome for r in results),
        findings=tuple(f for r in results for f in r.findings) + tuple(account_findings),
    )


def _map(work: Callable[[Any], Any], items: Sequence[Any], concurrency: int) -> list[Any]:
    """``work`` over ``items`` in order, ``concurrency`` at a time; the first error re-raised."""
    if concurrency == 1 or len(items) <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="audit") as pool:
        return list(pool.map(work, items))


def _audit_stack(
    artifact: StackArtifact,
    account: str,
    region: str,
    baseline: Baseline,
    factory: ClientFactory,
) -> StackResult:
    started = time.monotonic()
    name = artifact.stack_name
    clients: dict[str, Any] = {}
    lock = threading.Lock()

    def client(service: str) -> Any:
        with lock:  # checkers run in threads; each client is made once
            if service not in clients:
                clients[service] = factory(service, account, region)
            return clients[service]

    template = read_template(artifact)
    try:
        cloudformation = client("cloudformation")
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as exc:
        raise_if_fatal(exc)
        if error_code(exc) == "ValidationError" and "does not exist" in str(exc):
            finding = Finding(
                name, AUDIT_CONTROL, name, "", "AWS::CloudFormation::Stack", "stack deployed",
                f"stack {name} in {account}/{region}", "does not exist", "missing",
                account, region,
            )  # fmt: skip
            outcome = StackOutcome(
                artifact.artifact_id, name, account, region, "missing", "the stack does not exist"
            )
            return StackResult(outcome, [finding])
        # Without the stack's own description nothing else can be judged: the credentials
        # lack a permission the audit needs, a usage problem.
        raise AuditError(
            f"cannot read stack {name} in {account}/{region}: {describe_error(exc)}"
        ) from exc
    except BotoCoreError as exc:
        raise_if_fatal(exc)
        raise AuditError(f"the audit could not run: {exc}") from exc
    try:
        summaries = paginate(
            cloudformation, "list_stack_resources", "StackResourceSummaries", StackName=name
        )
    except ClientError as exc:
        raise_if_fatal(exc)
        raise AuditError(
            f"cannot list the resources of {name} in {account}/{region}: {describe_error(exc)}"
        ) from exc
    deployed = {
        str(s["LogicalResourceId"]): DeployedResource(
            str(s["LogicalResourceId"]),
            str(s.get("PhysicalResourceId", "")),
            str(s["ResourceType"]),
        )
        for s in summaries
        # Deleted or failed resources are not there, whatever the stack remembers.
        if s.get("LogicalResourceId")
        and s.get("PhysicalResourceId")
        and not str(s.get("ResourceStatus", "")).startswith("DELETE_COMPLETE")
    }
    parameters = {
        str(p["ParameterKey"]): str(p.get("ResolvedValue", p.get("ParameterValue", "")))
        for p in stack.get("Parameters", [])
    }
    resolver = Resolver(
        account=account,
        region=region,
        stack_name=name,
        stack_id=str(stack.get("StackId", "")),
        template=template,
        deployed=deployed,
        parameters=parameters,
        partition=partition_of(region),
        url_suffix="amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com",
    )
    audit = StackAudit(
        artifact=artifact,
        account=account,
        region=region,
        template=template,
        baseline=baseline,
        clients=client,
        resolver=resolver,
        locators={c.resource_type: c.locate for c in BY_TYPE.values() if c.locate},
    )
    resolver.locate, resolver.lookup = audit.locate, audit.lookup
    status = str(stack.get("StackStatus", ""))
    audit.add(
        AUDIT_CONTROL,
        name,
        str(stack.get("StackId", "")),
        "AWS::CloudFormation::Stack",
        "stack settled",
        " or ".join(sorted(SETTLED_STACK_STATES)),
        status,
        "ok" if status in SETTLED_STACK_STATES else "drift",
    )
    run_checkers(audit)
    outcome = StackOutcome(
        artifact.artifact_id, name, account, region, "audited",
        seconds=round(time.monotonic() - started, 3),
    )  # fmt: skip
    return StackResult(outcome, audit.findings, audit)


#: Resource types judged one after another, first: locating an unlisted Config rule claims it,
#: and the next one's match depends on what is claimed.
SEQUENTIAL_TYPES = frozenset({"AWS::Config::ConfigRule"})
#: Checkers of one stack run at once (each resource's reads are independent).
CHECKER_THREADS = 6


def run_checkers(audit: StackAudit, *, threads: int = CHECKER_THREADS) -> None:
    """The checker of every template resource whose type has one; never crash on one.

    Resources are judged concurrently, each into its own list of findings, and the lists are
    joined in template order, so the report does not depend on timing.
    """
    items = [
        (logical_id, resource)
        for logical_id, resource in audit.resources.items()
        if str(resource.get("Type", "")) in BY_TYPE
    ]
    first = [i for i in items if i[1].get("Type") in SEQUENTIAL_TYPES]
    rest = [i for i in items if i[1].get("Type") not in SEQUENTIAL_TYPES]
    found: dict[str, list[Finding]] = {}
    for logical_id, resource in first:
        found[logical_id] = _judge(audit, logical_id, resource)
    if threads > 1 and len(rest) > 1:
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="checker") as pool:
            results = list(pool.map(lambda item: _judge(audit, *item), rest))
    else:
        results = [_judge(audit, *item) for item in rest]
    found.update({logical_id: r for (logical_id, _), r in zip(rest, results, strict=True)})
    for logical_id, _ in items:
        audit.findings.extend(found[logical_id])
    if any(r.get("Type") == "AWS::Config::ConfigRule" for r in audit.resources.values()):
        check_baseline_config_rules(audit)


def _judge(audit: StackAudit, logical_id: str, resource: dict[str, Any]) -> list[Finding]:
    """One resource's findings, through a view of the audit with a findings list of its own."""
    view = dataclasses.replace(audit, findings=[])
    kind = str(resource.get("Type", ""))
    checker = BY_TYPE[kind]
    deployed = view.resolver.deployed.get(logical_id)
    if deployed is None and not checker.finds_unlisted:
        target = (logical_id, "", kind)
        if "Condition" in resource:
            view.add(
                checker.control, *target, "exists", "deployed if its condition holds",
                "not listed by CloudFormation; the audit does not evaluate conditions",
                "unverifiable",
            )  # fmt: skip
        else:
            view.add(
                checker.control, *target, "exists", "listed by CloudFormation", "not listed",
                "missing",
            )  # fmt: skip
        return view.findings
    try:
        checker.check(view, logical_id, resource.get("Properties", {}), deployed)
    except (ClientError, BotoCoreError) as exc:
        raise_if_fatal(exc)
        reason = describe_error(exc) if isinstance(exc, ClientError) else str(exc)
        view.add(checker.control, logical_id, "", kind, "audit", "", reason, "unverifiable")
    except (UnresolvableError, ValueError, KeyError, TypeError, AttributeError) as exc:
        # A template shape the audit did not foresee: say so, audit the rest.
        reason = f"not audited: {type(exc).__name__}: {exc}"
        view.add(checker.control, logical_id, "", kind, "audit", "", reason, "unverifiable")
    return view.findings
