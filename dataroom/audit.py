"""``dataroom audit``: compare deployed accounts with the cloud assembly and the baseline (DRF-3).

The synth-time gate (DRF-2) proves that the *templates* are as strong as production's baseline;
this module proves that the *accounts* still hold what those templates deployed. It reads a cloud
assembly (``cdk.out``), finds each stack's deployed resources with CloudFormation's
``ListStackResources`` (logical id -> physical id), reads every resource it knows how to judge
with boto3 and compares it with the template, resolving the template's intrinsics (``Ref``,
``Fn::GetAtt``, ``Fn::Join``, ``Fn::Sub``, ...) against the deployed physical ids. Where the
baseline (``examples/baseline.yaml``) asks for more than a template, the baseline is the floor.

Every comparison is a :class:`Finding` with a status:

- ``ok``: read, and as expected;
- ``drift``: read, and different (a wider policy, logging stopped, an internet gateway, ...);
- ``missing``: the resource (or the stack) is not there any more;
- ``unverifiable``: not read or not comparable (an API the endpoint does not implement, a refused
  call, an intrinsic the audit cannot resolve). Never counted as ``ok``.

The audit only reads. It is meant to run from CI or a scheduled job with read-only credentials of
the account it audits; stacks of other accounts are skipped (and say so) unless the caller brings
its own :data:`ClientFactory`, which then decides which account each client talks to.
"""

from __future__ import annotations

import ast
import json
import os
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from dataroom.baseline import FREQUENCIES, Baseline
from dataroom.template_policy import partition_of

Status = Literal["ok", "drift", "missing", "unverifiable"]
#: ``factory(service, account, region)``: a boto3 client acting in that account and region.
ClientFactory = Callable[[str, str, str], Any]

#: Status order of the report: what needs a person first.
STATUS_ORDER: dict[str, int] = {"missing": 0, "drift": 1, "unverifiable": 2, "ok": 3}
#: The control of rows about a stack as a whole.
AUDIT_CONTROL = "DRF-3"
#: Stack states whose resources are the template's (a failed update leaves the previous ones).
SETTLED_STACK_STATES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})
#: Error codes that mean "this endpoint cannot answer that", as opposed to "no such thing".
NOT_IMPLEMENTED_CODES = frozenset(
    {"NotImplemented", "NotImplementedException", "InternalFailure", "InternalError", "500", "501"}
)
#: Error codes that mean the credentials themselves were refused: no check could run at all.
REFUSED_CREDENTIALS_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "ExpiredToken",
        "ExpiredTokenException",
        "SignatureDoesNotMatch",
        "AuthFailure",
        "InvalidAccessKeyId",
    }
)
#: Routes that reach beyond the VPC: what NET-1 forbids in every route table of a room.
INTERNET_DESTINATIONS = frozenset({"0.0.0.0/0", "::/0"})
#: Peering states in which traffic flows or soon may.
LIVE_PEERING_STATES = frozenset(
    {"initiating-request", "pending-acceptance", "provisioning", "active"}
)
#: Resource types CloudFormation may leave unlisted on some engines (moto skips them): the audit
#: then looks for them by name (or by what identifies them) instead of reporting them missing.
FOUND_BY_NAME = frozenset(
    {"AWS::CloudTrail::Trail", "AWS::GuardDuty::Detector", "AWS::Config::ConfigRule"}
)
#: The S3 public access block flags, as CloudFormation and the S3 API both spell them.
PUBLIC_ACCESS_FLAGS = (
    "BlockPublicAcls",
    "BlockPublicPolicy",
    "IgnorePublicAcls",
    "RestrictPublicBuckets",
)


class AuditError(Exception):
    """The audit could not run (inputs, credentials, endpoint): a usage problem, exit status 2."""


class AssemblyError(AuditError):
    """The assembly directory is missing, not a cloud assembly, or lacks a selected stack."""


class UnresolvableError(Exception):
    """A template value the audit cannot compute; the check needing it is ``unverifiable``."""


class _UnverifiableError(Exception):
    """A check that ran but could not read or compare what it needs; carries the reason."""

    def __init__(self, reason: str, expected: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.expected = expected


# --- the cloud assembly ---------------------------------------------------------------------


@dataclass(frozen=True)
class StackArtifact:
    """One ``aws:cloudformation:stack`` artifact of a cloud assembly."""

    artifact_id: str
    display_name: str
    stack_name: str
    #: ``None`` for an environment-agnostic stack (``unknown-account``).
    account: str | None
    region: str | None
    template_file: Path

    def template(self) -> dict[str, Any]:
        """The synthesized template; :class:`AssemblyError` if it cannot be read."""
        try:
            data = json.loads(self.template_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise AssemblyError(f"{self.template_file}: cannot read the template: {exc}") from exc
        if not isinstance(data, dict):
            raise AssemblyError(f"{self.template_file}: not a CloudFormation template")
        return data


def _environment(value: str) -> tuple[str | None, str | None]:
    account, _, region = value.removeprefix("aws://").partition("/")
    return (
        None if not account or account.startswith("unknown-") else account,
        None if not region or region.startswith("unknown-") else region,
    )


def read_assembly(assembly: Path) -> list[StackArtifact]:
    """Every CloudFormation stack of the assembly, nested (stage) assemblies included."""
    manifest_path = assembly / "manifest.json"
    if not assembly.is_dir():
        raise AssemblyError(f"{assembly}: no such directory; synthesize first (`make synth`)")
    if not manifest_path.is_file():
        raise AssemblyError(f"{assembly}: not a cloud assembly (no manifest.json)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise AssemblyError(f"{manifest_path}: cannot read the manifest: {exc}") from exc
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    if not isinstance(artifacts, dict):
        raise AssemblyError(f"{manifest_path}: not a cloud assembly manifest (no artifacts)")
    stacks: list[StackArtifact] = []
    for artifact_id, artifact in artifacts.items():
        properties = artifact.get("properties", {})
        if artifact.get("type") == "cdk:cloud-assembly":
            stacks.extend(read_assembly(assembly / properties["directoryName"]))
        elif artifact.get("type") == "aws:cloudformation:stack":
            account, region = _environment(str(artifact.get("environment", "")))
            stacks.append(
                StackArtifact(
                    artifact_id=artifact_id,
                    display_name=str(artifact.get("displayName", artifact_id)),
                    stack_name=str(properties.get("stackName", artifact_id)),
                    account=account,
                    region=region,
                    template_file=assembly / str(properties.get("templateFile", "")),
                )
            )
    return stacks


def select_stacks(stacks: Sequence[StackArtifact], names: Sequence[str]) -> list[StackArtifact]:
    """The stacks named (artifact id, display name or stack name); all of them when none is."""
    if not names:
        return list(stacks)
    chosen: list[StackArtifact] = []
    unknown: list[str] = []
    for name in names:
        found = [s for s in stacks if name in (s.artifact_id, s.display_name, s.stack_name)]
        if not found:
            unknown.append(name)
        chosen.extend(s for s in found if s not in chosen)
    if unknown:
        known = ", ".join(f"{s.display_name} ({s.stack_name})" for s in stacks)
        raise AssemblyError(
            f"no stack named {', '.join(unknown)} in the assembly; it holds {known}"
        )
    return chosen


# --- findings and the report ----------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One comparison of one deployed resource (or stack) with the template and the baseline."""

    stack: str
    control: str
    logical_id: str
    physical_id: str
    resource_type: str
    check: str
    expected: str
    actual: str
    status: Status

    @property
    def resource(self) -> str:
        """The logical id, with the physical id when there is one."""
        return f"{self.logical_id} ({self.physical_id})" if self.physical_id else self.logical_id

    def to_dict(self) -> dict[str, str]:
        """The finding as a JSON object."""
        return {
            "stack": self.stack,
            "control": self.control,
            "resource": self.resource,
            "logical_id": self.logical_id,
            "physical_id": self.physical_id,
            "resource_type": self.resource_type,
            "check": self.check,
            "expected": self.expected,
            "actual": self.actual,
            "status": self.status,
        }


@dataclass(frozen=True)
class StackOutcome:
    """What happened to one stack: audited, missing (not deployed) or skipped (and why)."""

    artifact_id: str
    stack_name: str
    account: str
    region: str
    status: Literal["audited", "missing", "skipped"]
    reason: str = ""

    def to_dict(self) -> dict[str, str]:
        """The outcome as a JSON object."""
        return {
            "artifact_id": self.artifact_id,
            "stack_name": self.stack_name,
            "account": self.account,
            "region": self.region,
            "status": self.status,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class AuditReport:
    """Every finding of one audit run, and the exit status it calls for."""

    assembly: str
    baseline: str
    stacks: tuple[StackOutcome, ...]
    findings: tuple[Finding, ...]

    def count(self, status: Status) -> int:
        """How many findings have ``status``."""
        return sum(1 for f in self.findings if f.status == status)

    @property
    def exit_code(self) -> int:
        """1 on any drift or missing resource; 2 when no stack could be audited; else 0."""
        if self.count("drift") or self.count("missing"):
            return 1
        if self.stacks and all(s.status == "skipped" for s in self.stacks):
            # Nothing was read: a green result here would be a lie (wrong credentials).
            return 2
        return 0

    def summary(self) -> dict[str, int]:
        """Counts per status, per stack outcome, and the exit status."""
        return {
            "checks": len(self.findings),
            "ok": self.count("ok"),
            "drift": self.count("drift"),
            "missing": self.count("missing"),
            "unverifiable": self.count("unverifiable"),
            "stacks_audited": sum(1 for s in self.stacks if s.status == "audited"),
            "stacks_missing": sum(1 for s in self.stacks if s.status == "missing"),
            "stacks_skipped": sum(1 for s in self.stacks if s.status == "skipped"),
            "exit_code": self.exit_code,
        }

    def summary_line(self) -> str:
        """``N checks: X ok, Y drift, M missing, Z unverifiable`` (and skipped stacks)."""
        line = (
            f"{len(self.findings)} checks: {self.count('ok')} ok, {self.count('drift')} drift, "
            f"{self.count('missing')} missing, {self.count('unverifiable')} unverifiable"
        )
        skipped = sum(1 for s in self.stacks if s.status == "skipped")
        return f"{line}; {skipped} stack(s) skipped" if skipped else line

    def sorted_findings(self) -> list[Finding]:
        """Missing and drift first, then unverifiable, then ok; stable within each."""
        return sorted(self.findings, key=lambda f: STATUS_ORDER[f.status])

    def to_dict(self) -> dict[str, Any]:
        """The report as one JSON document (``dataroom audit --json``)."""
        return {
            "assembly": self.assembly,
            "baseline": self.baseline,
            "stacks": [s.to_dict() for s in self.stacks],
            "findings": [f.to_dict() for f in self.sorted_findings()],
            "summary": self.summary(),
        }


def _cell(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(report: AuditReport, *, width: int = 60) -> str:
    """The report for people: skipped stacks, a table (drift first), details, the summary."""
    lines = [
        f"{s.stack_name} ({s.artifact_id}): {s.status}: {s.reason}"
        for s in report.stacks
        if s.status != "audited"
    ]
    headers = ("stack", "control", "resource", "check", "expected", "actual", "status")
    rows = [
        (f.stack, f.control, f.resource, f.check, f.expected, f.actual, f.status)
        for f in report.sorted_findings()
    ]
    if rows:
        cells = [tuple(_cell(value, width) for value in row) for row in rows]
        widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
        lines.append("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
        lines.append("  ".join("-" * w for w in widths))
        lines.extend(
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells
        )
    # A truncated cell would hide exactly what a person must act on: say it in full.
    details = [
        f"{f.stack} {f.resource} {f.check}:\n  expected: {f.expected}\n  actual:   {f.actual}"
        for f in report.sorted_findings()
        if f.status in ("drift", "missing") and (len(f.expected) > width or len(f.actual) > width)
    ]
    if details:
        lines.append("")
        lines.extend(details)
    lines.append(report.summary_line())
    return "\n".join(lines)


# --- policy documents -----------------------------------------------------------------------


def parse_policy(document: Any) -> dict[str, Any]:
    """A policy document as a dict, from a dict, JSON, URL-encoded JSON or a Python repr.

    IAM returns URL-encoded JSON (boto3 usually decodes it); some endpoints (moto's VPC
    endpoints) return the ``repr`` of a Python dict, which JSON cannot read.
    """
    if isinstance(document, dict):
        return document
    if not isinstance(document, str):
        raise ValueError(f"not a policy document: {document!r}")
    text = document.strip()
    if text[:3].upper() == "%7B":
        text = urllib.parse.unquote(text)
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError) as exc:
            raise ValueError(f"not a policy document: {text[:80]}") from exc
    if not isinstance(parsed, dict):
        raise ValueError(f"not a policy document: {text[:80]}")
    return parsed


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _scalar(value: Any) -> str:
    # Policies hold condition values as strings; templates may hold booleans and numbers.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _principal_id(kind: str, identifier: str) -> str:
    # IAM stores an account id principal as the account's root ARN.
    if kind == "AWS" and re.fullmatch(r"\d{12}", identifier):
        return f"arn:aws:iam::{identifier}:root"
    return identifier


def _canonical_principal(value: Any) -> Any:
    if value == "*":
        return "*"
    if isinstance(value, dict):
        out = {
            str(kind): sorted({_principal_id(str(kind), str(i)) for i in _as_list(ids)})
            for kind, ids in value.items()
        }
        # {"AWS": "*"} and "*" mean the same (IAM's documentation says so).
        return "*" if out == {"AWS": ["*"]} else out
    return value


def _canonical_statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in statement.items():
        if key in ("Action", "NotAction"):
            # Action names are case-insensitive.
            out[key] = sorted({str(v).lower() for v in _as_list(value)})
        elif key in ("Resource", "NotResource"):
            out[key] = sorted({str(v) for v in _as_list(value)})
        elif key in ("Principal", "NotPrincipal"):
            out[key] = _canonical_principal(value)
        elif key == "Condition" and isinstance(value, dict):
            out[key] = {
                str(operator): {
                    str(k): sorted({_scalar(v) for v in _as_list(values)})
                    for k, values in block.items()
                }
                for operator, block in value.items()
            }
        elif key == "Sid":
            if value:
                out[key] = str(value)
        else:
            out[key] = value
    return out


def canonical_policy(document: Any) -> dict[str, Any]:
    """The policy in a form where equal meaning is equal value.

    Statements are order-insensitive, a single string equals a one-element list, actions are
    compared case-insensitively, ``{"AWS": "*"}`` equals ``"*"``, an account id principal equals
    its root ARN and condition values are compared as strings.
    """
    parsed = parse_policy(document)
    statements = parsed.get("Statement", [])
    canonical = [_canonical_statement(s) for s in _as_list(statements) if isinstance(s, dict)]
    canonical.sort(key=lambda s: json.dumps(s, sort_keys=True))
    return {"Version": parsed.get("Version"), "Statement": canonical}


def policy_difference(expected: Any, actual: Any) -> str | None:
    """``None`` when the two policies mean the same; else what the actual one adds and lacks."""
    want, have = canonical_policy(expected), canonical_policy(actual)
    if want == have:
        return None
    parts: list[str] = []
    extra = [s for s in have["Statement"] if s not in want["Statement"]]
    lacking = [s for s in want["Statement"] if s not in have["Statement"]]
    if extra:
        parts.append(f"extra statement(s): {json.dumps(extra, sort_keys=True)}")
    if lacking:
        parts.append(f"lacking statement(s): {json.dumps(lacking, sort_keys=True)}")
    if want["Version"] != have["Version"]:
        parts.append(f"Version {have['Version']} instead of {want['Version']}")
    return "; ".join(parts) or "the same statements, repeated a different number of times"


def _policy_summary(document: Any) -> str:
    statements = _as_list(parse_policy(document).get("Statement", []))
    return f"the template's policy ({len(statements)} statement(s))"


# --- resolving template intrinsics ----------------------------------------------------------


@dataclass(frozen=True)
class DeployedResource:
    """One row of ``ListStackResources``."""

    logical_id: str
    physical_id: str
    resource_type: str


class _NoValue:
    """``AWS::NoValue``: the property or list element is left out."""


NO_VALUE = _NoValue()
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class Resolver:
    """Computes template values (``Ref``, ``Fn::GetAtt``, ``Fn::Join``, ``Fn::Sub``, ...).

    ``Ref`` of a resource is its physical id; ``Fn::GetAtt [X, Arn]`` is built from the physical
    id and the resource type, as CloudFormation documents each type's attributes. Two optional
    hooks read the account where the template alone cannot say: ``locate(logical_id)`` finds
    the physical id of a resource CloudFormation does not list, ``lookup(logical_id, type,
    physical_id, attribute)`` an attribute only the service knows (a VPC's default security
    group). Anything else raises :class:`UnresolvableError`, naming it, so the check depending on
    it is unverifiable.
    """

    def __init__(
        self,
        *,
        account: str,
        region: str,
        stack_name: str,
        stack_id: str,
        template: Mapping[str, Any],
        deployed: Mapping[str, DeployedResource],
        parameters: Mapping[str, str] | None = None,
        partition: str = "aws",
        url_suffix: str = "amazonaws.com",
        locate: Callable[[str], str | None] | None = None,
        lookup: Callable[[str, str, str, str], str | None] | None = None,
    ) -> None:
        self.account = account
        self.locate = locate
        self.lookup = lookup
        self.region = region
        self.partition = partition
        self.resources: Mapping[str, Any] = template.get("Resources", {})
        self.template_parameters: Mapping[str, Any] = template.get("Parameters", {})
        self.deployed = deployed
        self.parameters = dict(parameters or {})
        self.pseudo: dict[str, str] = {
            "AWS::AccountId": account,
            "AWS::Region": region,
            "AWS::Partition": partition,
            "AWS::URLSuffix": url_suffix,
            "AWS::StackName": stack_name,
            "AWS::StackId": stack_id,
        }

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic computed; ``AWS::NoValue`` becomes ``None``."""
        result = self._resolve(value)
        return None if result is NO_VALUE else result

    def resolve_str(self, value: Any) -> str:
        """``value`` resolved, which must be a string (or a number)."""
        result = self.resolve(value)
        if isinstance(result, bool) or not isinstance(result, str | int | float):
            raise UnresolvableError(f"expected a string, got {result!r}")
        return str(result)

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = (self._resolve(v) for v in value)
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self._ref(str(argument))
            if key == "Fn::GetAtt":
                return self._get_att(argument)
            if key == "Fn::Join":
                return self._join(argument)
            if key == "Fn::Sub":
                return self._sub(argument)
            if key == "Fn::Select":
                return self._select(argument)
            if key == "Fn::Split":
                delimiter, source = argument
                return self.resolve_str(source).split(str(delimiter))
            if key.startswith("Fn::"):
                raise UnresolvableError(f"{key} is not resolved by the audit")
        out: dict[str, Any] = {}
        for k, v in value.items():
            resolved = self._resolve(v)
            if resolved is not NO_VALUE:
                out[k] = resolved
        return out

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name.startswith("AWS::"):
            raise UnresolvableError(f"Ref {name} is not resolved by the audit")
        if name in self.template_parameters:
            if name in self.parameters:
                return self.parameters[name]
            if "Default" in self.template_parameters[name]:
                return self.template_parameters[name]["Default"]
            raise UnresolvableError(f"Ref {name}: the stack's parameter value is unknown")
        return self._physical_id(name)

    def _physical_id(self, logical_id: str) -> str:
        if logical_id in self.deployed:
            return self.deployed[logical_id].physical_id
        resource = self.resources.get(logical_id)
        if resource is None:
            raise UnresolvableError(f"{logical_id} is not a resource of the template")
        # Some engines leave these unlisted; their name is their physical id.
        name_property = {
            "AWS::CloudTrail::Trail": "TrailName",
            "AWS::Config::ConfigRule": "ConfigRuleName",
        }.get(str(resource.get("Type")))
        properties = resource.get("Properties", {})
        if name_property and name_property in properties:
            return self.resolve_str(properties[name_property])
        located = self.locate(logical_id) if self.locate else None
        if located:
            return located
        raise UnresolvableError(f"{logical_id}: CloudFormation lists no such deployed resource")

    def resource_type(self, logical_id: str) -> str:
        """The type of a template resource (the deployed one's, when listed)."""
        if logical_id in self.deployed:
            return self.deployed[logical_id].resource_type
        return str(self.resources.get(logical_id, {}).get("Type", ""))

    def _get_att(self, argument: Any) -> str:
        if isinstance(argument, str):
            logical_id, _, attribute = argument.partition(".")
        else:
            logical_id, attribute = str(argument[0]), self.resolve_str(argument[1])
        physical = self._physical_id(logical_id)
        kind = self.resource_type(logical_id)
        value = self._attribute(logical_id, kind, physical, attribute)
        if value is None and self.lookup is not None:
            value = self.lookup(logical_id, kind, physical, attribute)
        if value is None:
            raise UnresolvableError(f"Fn::GetAtt {logical_id}.{attribute} ({kind}) is not resolved")
        return value

    def _attribute(self, logical_id: str, kind: str, physical: str, attribute: str) -> str | None:
        p, r, a = self.partition, self.region, self.account
        if attribute == "Arn":
            if kind == "AWS::IAM::Role":
                path = self.resources.get(logical_id, {}).get("Properties", {}).get("Path", "/")
                return f"arn:{p}:iam::{a}:role{self.resolve_str(path)}{physical}"
            arns = {
                "AWS::S3::Bucket": f"arn:{p}:s3:::{physical}",
                "AWS::KMS::Key": f"arn:{p}:kms:{r}:{a}:key/{physical}",
                "AWS::Logs::LogGroup": f"arn:{p}:logs:{r}:{a}:log-group:{physical}:*",
                "AWS::SQS::Queue": f"arn:{p}:sqs:{r}:{a}:{physical.rsplit('/', 1)[-1]}",
                "AWS::SNS::Topic": physical,
                "AWS::Lambda::Function": f"arn:{p}:lambda:{r}:{a}:function:{physical}",
                "AWS::Events::Rule": f"arn:{p}:events:{r}:{a}:rule/{physical}",
                "AWS::CloudTrail::Trail": f"arn:{p}:cloudtrail:{r}:{a}:trail/{physical}",
                "AWS::IAM::User": f"arn:{p}:iam::{a}:user/{physical}",
                "AWS::IAM::ManagedPolicy": physical,
                "AWS::DynamoDB::Table": f"arn:{p}:dynamodb:{r}:{a}:table/{physical}",
            }
            return arns.get(kind)
        same_as_physical = {
            ("AWS::EC2::SecurityGroup", "GroupId"),
            ("AWS::EC2::VPC", "VpcId"),
            ("AWS::EC2::Subnet", "SubnetId"),
            ("AWS::KMS::Key", "KeyId"),
            ("AWS::SNS::Topic", "TopicArn"),
            ("AWS::SQS::Queue", "QueueUrl"),
            ("AWS::IAM::ManagedPolicy", "PolicyArn"),
            ("AWS::EC2::VPCEndpoint", "Id"),
        }
        if (kind, attribute) in same_as_physical:
            return physical
        derived = {
            ("AWS::S3::Bucket", "DomainName"): f"{physical}.s3.{self.pseudo['AWS::URLSuffix']}",
            ("AWS::S3::Bucket", "RegionalDomainName"): (
                f"{physical}.s3.{r}.{self.pseudo['AWS::URLSuffix']}"
            ),
            ("AWS::SQS::Queue", "QueueName"): physical.rsplit("/", 1)[-1],
            ("AWS::SNS::Topic", "TopicName"): physical.rsplit(":", 1)[-1],
        }
        return derived.get((kind, attribute))

    def _join(self, argument: Any) -> str:
        delimiter, values = argument
        items = self._resolve(values)
        if not isinstance(items, list):
            raise UnresolvableError(f"Fn::Join of {items!r}")
        return str(delimiter).join(self.resolve_str(item) for item in items)

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = str(argument[0]), dict(argument[1])
        else:
            text, variables = str(argument), {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return self.resolve_str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                return self._get_att(name)
            return self.resolve_str(self._ref(name))

        return _SUB_VARIABLE.sub(replace, text)

    def _select(self, argument: Any) -> Any:
        index, values = argument
        items = self._resolve(values)
        if not isinstance(items, list):
            raise UnresolvableError(f"Fn::Select from {items!r}")
        return items[int(self.resolve_str(index))]


# --- running checks -------------------------------------------------------------------------


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _http_status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def _describe_error(exc: ClientError) -> str:
    code = _error_code(exc)
    if code in NOT_IMPLEMENTED_CODES or _http_status(exc) >= 500:
        return f"the endpoint cannot answer {exc.operation_name} ({code or _http_status(exc)})"
    message = str(exc.response.get("Error", {}).get("Message", "")).strip()
    return f"{exc.operation_name}: {code}: {message}"[:300]


def _raise_if_fatal(exc: BaseException) -> None:
    """Re-raise what no single check can survive: no credentials, refused ones, no endpoint."""
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        raise AuditError(
            "no AWS credentials found; set AWS_PROFILE or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or run `aws sso login`) for the account to audit"
        ) from exc
    if isinstance(exc, BotoConnectionError):
        raise AuditError(
            f"cannot reach the AWS endpoint: {exc}; check --endpoint-url / AWS_ENDPOINT_URL "
            "and the network"
        ) from exc
    if isinstance(exc, ClientError) and _error_code(exc) in REFUSED_CREDENTIALS_CODES:
        raise AuditError(f"the AWS credentials were refused: {_describe_error(exc)}") from exc


def _key_id(value: str) -> str:
    """The key id in a KMS key ARN (or the value itself: an id or an alias)."""
    return value.rsplit(":key/", 1)[-1] if ":key/" in value else value


def _is_room(template: Mapping[str, Any]) -> bool:
    resources = template.get("Resources", {}).values()
    return any(r.get("Type") == "AWS::EC2::VPC" for r in resources)


@dataclass
class _StackAudit:
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

    @property
    def resources(self) -> dict[str, Any]:
        resources: dict[str, Any] = self.template.get("Resources", {})
        return resources

    @property
    def room(self) -> bool:
        return _is_room(self.template)

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
        except _UnverifiableError as exc:
            expected, actual, status = exc.expected, exc.reason, "unverifiable"
        except ClientError as exc:
            _raise_if_fatal(exc)
            expected, actual, status = "", _describe_error(exc), "unverifiable"
        except BotoCoreError as exc:
            _raise_if_fatal(exc)
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
            _raise_if_fatal(exc)
            if not_found(exc):
                self.add(
                    control, *target, "exists", what, f"not found ({_error_code(exc)})", "missing"
                )
            else:
                self.add(control, *target, "exists", what, _describe_error(exc), "unverifiable")
            return None
        except BotoCoreError as exc:
            _raise_if_fatal(exc)
            self.add(control, *target, "exists", what, f"not read: {exc}", "unverifiable")
            return None
        if found is None:
            self.add(control, *target, "exists", what, "not found", "missing")
            return None
        self.add(control, *target, "exists", what, "found", "ok")
        return found

    def cached(self, key: str, read: Callable[[], Any]) -> Any:
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
            return self._trail_name(props)
        if kind == "AWS::GuardDuty::Detector":
            # One detector per account and region: an unlisted detector can only be that one.
            ids = self.clients("guardduty").list_detectors().get("DetectorIds", [])
            return str(ids[0]) if ids else None
        if kind == "AWS::Config::ConfigRule":
            rule = self._locate_config_rule(logical_id, props, self._account_config_rules())
            if rule is None:
                return None
            self.claimed.add(str(rule["ConfigRuleName"]))
            return str(rule["ConfigRuleName"])
        return None

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

    # -- the stack -----------------------------------------------------------------------

    def audit(self) -> None:
        for logical_id, resource in self.resources.items():
            kind = str(resource.get("Type", ""))
            checker = _CHECKERS.get(kind)
            if checker is None:
                continue
            deployed = self.resolver.deployed.get(logical_id)
            if deployed is None and kind not in FOUND_BY_NAME:
                target = (logical_id, "", kind)
                control = _CONTROLS.get(kind, AUDIT_CONTROL)
                if "Condition" in resource:
                    self.add(
                        control, *target, "exists", "deployed if its condition holds",
                        "not listed by CloudFormation; the audit does not evaluate conditions",
                        "unverifiable",
                    )  # fmt: skip
                else:
                    self.add(
                        control, *target, "exists", "listed by CloudFormation", "not listed",
                        "missing",
                    )  # fmt: skip
                continue
            try:
                checker(self, logical_id, resource.get("Properties", {}), deployed)
            except (ClientError, BotoCoreError) as exc:
                _raise_if_fatal(exc)
                reason = _describe_error(exc) if isinstance(exc, ClientError) else str(exc)
                self.add(_CONTROLS[kind], logical_id, "", kind, "audit", "", reason, "unverifiable")
            except (UnresolvableError, ValueError, KeyError, TypeError, AttributeError) as exc:
                # A template shape the audit did not foresee: say so, audit the rest.
                reason = f"not audited: {type(exc).__name__}: {exc}"
                self.add(_CONTROLS[kind], logical_id, "", kind, "audit", "", reason, "unverifiable")
        if any(r.get("Type") == "AWS::Config::ConfigRule" for r in self.resources.values()):
            self.check_baseline_config_rules()

    # -- CloudTrail (MON-1 in a room, MON-2 in production) ---------------------------------

    def check_trail(
        self, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
    ) -> None:
        control = "MON-1" if self.room else "MON-2"
        kind = "AWS::CloudTrail::Trail"
        cloudtrail = self.clients("cloudtrail")
        try:
            name = deployed.physical_id if deployed else self.locate(logical_id)
        except (UnresolvableError, ClientError, BotoCoreError) as exc:
            _raise_if_fatal(exc)
            reason = _describe_error(exc) if isinstance(exc, ClientError) else str(exc)
            self.add(control, logical_id, "", kind, "exists", "a trail", reason, "unverifiable")
            return
        if name is None:
            self.add(control, logical_id, "", kind, "exists", "a trail", "not found", "missing")
            return
        target = (logical_id, name, kind)

        def read() -> Any:
            trails = cloudtrail.describe_trails(trailNameList=[name], includeShadowTrails=False)
            matching = [
                t for t in trails.get("trailList", []) if name in (t.get("Name"), t.get("TrailARN"))
            ]
            return matching[0] if matching else None

        trail = self.fetch(
            control,
            target,
            read,
            lambda e: _error_code(e) in ("TrailNotFoundException", "TrailNotFound"),
            what=f"trail {name}",
        )
        if trail is None:
            return
        arn = str(trail.get("TrailARN", name))
        trail_baseline = self.baseline.trail

        def logging() -> tuple[str, str, Status]:
            want = bool(props.get("IsLogging", True))
            have = bool(cloudtrail.get_trail_status(Name=arn).get("IsLogging"))
            return _flag(want, have)

        self.run(control, target, "logging", logging)
        self.run(
            control,
            target,
            "log file validation",
            lambda: _flag(
                bool(props.get("EnableLogFileValidation")) or trail_baseline.log_file_validation,
                bool(trail.get("LogFileValidationEnabled")),
            ),
        )
        self.run(
            control,
            target,
            "multi-region",
            lambda: _flag(
                bool(props.get("IsMultiRegionTrail")) or trail_baseline.multi_region,
                bool(trail.get("IsMultiRegionTrail")),
            ),
        )

        def kms() -> tuple[str, str, Status]:
            have = str(trail.get("KmsKeyId") or "")
            if "KMSKeyId" in props:
                want = self._key_id(self.resolver.resolve_str(props["KMSKeyId"]))
                status: Status = "ok" if have and self._key_id(have) == want else "drift"
                return f"KMS key {want}", have or "not encrypted with KMS", status
            if trail_baseline.kms_encrypted:
                status = "ok" if have else "drift"
                return "a KMS key (baseline)", have or "not encrypted with KMS", status
            return "no requirement", have or "none", "ok"

        self.run(control, target, "KMS encryption", kms)

        if "CloudWatchLogsLogGroupArn" in props or trail_baseline.cloudwatch_logs:

            def logs() -> tuple[str, str, Status]:
                have = str(trail.get("CloudWatchLogsLogGroupArn") or "")
                if "CloudWatchLogsLogGroupArn" in props:
                    want = self.resolver.resolve_str(props["CloudWatchLogsLogGroupArn"])
                    same = have.removesuffix(":*") == want.removesuffix(":*")
                    return want, have or "no log group", "ok" if same and have else "drift"
                return "a log group (baseline)", have or "no log group", "ok" if have else "drift"

            self.run(control, target, "CloudWatch Logs delivery", logs)

        template_selectors = props.get("EventSelectors", [])

        def read_selectors() -> dict[str, Any]:
            return dict(
                self.cached(
                    f"selectors:{arn}", lambda: cloudtrail.get_event_selectors(TrailName=arn)
                )
            )

        if any(s.get("DataResources") for s in template_selectors):
            self.run(
                control,
                target,
                "data events cover the template's resources",
                lambda: _data_event_coverage(
                    self.resolver.resolve(template_selectors), read_selectors()
                ),
            )
        self.run(
            control,
            target,
            "management events",
            lambda: _management_coverage(template_selectors, read_selectors()),
        )

    def _trail_name(self, props: Mapping[str, Any]) -> str | None:
        if "TrailName" in props:
            return self.resolver.resolve_str(props["TrailName"])
        # No name: the trail that writes to the template's bucket is this one.
        bucket = self.resolver.resolve_str(props["S3BucketName"])
        trails = self.clients("cloudtrail").describe_trails(includeShadowTrails=False)
        for trail in trails.get("trailList", []):
            if trail.get("S3BucketName") == bucket:
                return str(trail["Name"])
        return None

    def _key_id(self, value: str) -> str:
        """The key id of an ARN, id or alias (an alias is looked up)."""
        if "alias/" not in value:
            return _key_id(value)
        metadata = self.clients("kms").describe_key(KeyId=value)["KeyMetadata"]
        return str(metadata["KeyId"])

    # -- GuardDuty (MON-3) -----------------------------------------------------------------

    def check_detector(
        self, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
    ) -> None:
        control, kind = "MON-3", "AWS::GuardDuty::Detector"
        guardduty = self.clients("guardduty")
        try:
            detector_id = deployed.physical_id if deployed else self.locate(logical_id)
        except (ClientError, BotoCoreError) as exc:
            _raise_if_fatal(exc)
            reason = _describe_error(exc) if isinstance(exc, ClientError) else str(exc)
            self.add(control, logical_id, "", kind, "exists", "a detector", reason, "unverifiable")
            return
        if detector_id is None:
            self.add(
                control, logical_id, "", kind, "exists", "a detector", "no detector", "missing"
            )
            return
        target = (logical_id, detector_id, kind)
        detector = self.fetch(
            control,
            target,
            lambda: guardduty.get_detector(DetectorId=detector_id),
            lambda e: _error_code(e) in ("BadRequestException", "ResourceNotFoundException"),
            what=f"detector {detector_id}",
        )
        if detector is None:
            return
        self.run(
            control,
            target,
            "enabled",
            lambda: _equal(
                "ENABLED" if props.get("Enable", True) else "DISABLED",
                str(detector.get("Status", "")),
            ),
        )

        def frequency() -> tuple[str, str, Status]:
            want = str(
                props.get("FindingPublishingFrequency")
                or self.baseline.guardduty.finding_publishing_frequency
            )
            have = str(detector.get("FindingPublishingFrequency", ""))
            if have not in FREQUENCIES:
                return f"{want} or faster", have or "not returned", "drift"
            faster = FREQUENCIES.index(have) <= FREQUENCIES.index(want)
            return f"{want} or faster", have, "ok" if faster else "drift"

        self.run(control, target, "finding publishing frequency", frequency)

        wanted: dict[str, set[str]] = {}  # feature -> its additional configurations
        for feature in props.get("Features", []):
            if feature.get("Status") == "ENABLED":
                extra = {
                    str(c["Name"])
                    for c in feature.get("AdditionalConfiguration", [])
                    if c.get("Status") == "ENABLED"
                }
                wanted.setdefault(str(feature["Name"]), set()).update(extra)
        for baseline_feature in self.baseline.guardduty.features:
            wanted.setdefault(baseline_feature, set())
        for name, configurations in wanted.items():
            for configuration in ("", *sorted(configurations)):

                def feature(n: str = name, c: str = configuration) -> tuple[str, str, Status]:
                    return _feature(detector, n, c)

                self.run(control, target, f"feature {name} {configuration}".strip(), feature)

    # -- the VPC (NET-1, NET-5) ------------------------------------------------------------

    def check_vpc(
        self, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
    ) -> None:
        assert deployed is not None
        kind, vpc_id = "AWS::EC2::VPC", deployed.physical_id
        target = (logical_id, vpc_id, kind)
        ec2 = self.clients("ec2")
        vpc = self.fetch(
            "NET-1",
            target,
            lambda: ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0],
            lambda e: _error_code(e) == "InvalidVpcID.NotFound",
            what=f"VPC {vpc_id}",
        )
        if vpc is None:
            return
        by_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]

        def gateways() -> tuple[str, str, Status]:
            found = ec2.describe_internet_gateways(
                Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
            )["InternetGateways"]
            return _none_of([g["InternetGatewayId"] for g in found])

        def nat_gateways() -> tuple[str, str, Status]:
            found = _paginate(ec2, "describe_nat_gateways", "NatGateways", Filter=by_vpc)
            live = [g for g in found if g.get("State") in ("pending", "available")]
            return _none_of([g["NatGatewayId"] for g in live])

        def egress_only() -> tuple[str, str, Status]:
            found = _paginate(
                ec2, "describe_egress_only_internet_gateways", "EgressOnlyInternetGateways"
            )
            attached = [
                g["EgressOnlyInternetGatewayId"]
                for g in found
                if any(a.get("VpcId") == vpc_id for a in g.get("Attachments", []))
            ]
            return _none_of(attached)

        def peerings() -> tuple[str, str, Status]:
            found = _paginate(ec2, "describe_vpc_peering_connections", "VpcPeeringConnections")
            live = [
                p["VpcPeeringConnectionId"]
                for p in found
                if p.get("Status", {}).get("Code") in LIVE_PEERING_STATES
                and vpc_id
                in (
                    p.get("RequesterVpcInfo", {}).get("VpcId"),
                    p.get("AccepterVpcInfo", {}).get("VpcId"),
                )
            ]
            return _none_of(live)

        def routes() -> tuple[str, str, Status]:
            tables = _paginate(ec2, "describe_route_tables", "RouteTables", Filters=by_vpc)
            open_routes = [
                f"{t['RouteTableId']}: {destination} -> "
                + str(route.get("GatewayId") or route.get("NatGatewayId") or route.get(
                    "TransitGatewayId") or route.get("VpcPeeringConnectionId") or route.get(
                    "NetworkInterfaceId") or route.get("InstanceId") or "?")
                for t in tables
                for route in t.get("Routes", [])
                for destination in (
                    route.get("DestinationCidrBlock"),
                    route.get("DestinationIpv6CidrBlock"),
                )
                if destination in INTERNET_DESTINATIONS
            ]  # fmt: skip
            return _none_of(open_routes)

        self.run("NET-1", target, "no internet gateway attached", gateways)
        self.run("NET-1", target, "no NAT gateway", nat_gateways)
        self.run("NET-1", target, "no egress-only internet gateway", egress_only)
        self.run("NET-1", target, "no VPC peering connection", peerings)
        self.run("NET-1", target, "no route to 0.0.0.0/0 or ::/0", routes)

        def flow_logs() -> tuple[str, str, Status]:
            found = _paginate(
                ec2,
                "describe_flow_logs",
                "FlowLogs",
                Filter=[{"Name": "resource-id", "Values": [vpc_id]}],
            )
            described = [
                f"{f['FlowLogId']} {f.get('TrafficType')} {f.get('FlowLogStatus')}" for f in found
            ]
            good = [
                f
                for f in found
                if f.get("FlowLogStatus") == "ACTIVE" and f.get("TrafficType") == "ALL"
            ]
            actual = ", ".join(described) or "no flow log"
            return "an ACTIVE flow log of ALL traffic", actual, "ok" if good else "drift"

        self.run("NET-5", target, "flow log of ALL traffic active", flow_logs)

    def check_flow_log(
        self, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
    ) -> None:
        assert deployed is not None
        kind, flow_log_id = "AWS::EC2::FlowLog", deployed.physical_id
        target = (logical_id, flow_log_id, kind)
        ec2 = self.clients("ec2")

        def read() -> Any:
            found = ec2.describe_flow_logs(FlowLogIds=[flow_log_id])["FlowLogs"]
            return found[0] if found else None

        flow_log = self.fetch(
            "NET-5",
            target,
            read,
            lambda e: _error_code(e).startswith("InvalidFlowLogId"),
            what=f"flow log {flow_log_id}",
        )
        if flow_log is None:
            return
        want_traffic = str(props.get("TrafficType", "ALL"))
        self.run(
            "NET-5",
            target,
            "active",
            lambda: _equal(
                f"ACTIVE, {want_traffic}",
                f"{flow_log.get('FlowLogStatus')}, {flow_log.get('TrafficType')}",
            ),
        )

    # -- VPC endpoints (NET-2 interface, NET-3 gateway) --------------------------------------

    def check_endpoint(
        self, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
    ) -> None:
        assert deployed is not None
        kind, endpoint_id = "AWS::EC2::VPCEndpoint", deployed.physical_id
        control = "NET-2" if props.get("VpcEndpointType") == "Interface" else "NET-3"
        target = (logical_id, endpoint_id, kind)
        ec2 = self.clients("ec2")
        endpoint = self.fetch(
            control,
            target,
            lambda: ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"][0],
            lambda e: _error_code(e).startswith("InvalidVpcEndpointId"),
            what=f"endpoint {endpoint_id}",
        )
        if endpoint is None:
            return

        def state() -> tuple[str, str, Status]:
            have = str(endpoint.get("State", ""))
            return "available", have, "ok" if have.lower() in ("available", "pending") else "drift"

        self.run(control, target, "state", state)
        if "PolicyDocument" in props:
            self.run(
                control,
                target,
                "endpoint policy",
                lambda: self._policy(props["PolicyDocument"], endpoint.get("PolicyDocument")),
            )
        if "PrivateDnsEnabled" in props:
            self.run(
                control,
                target,
                "private DNS",
                lambda: _flag(
                    bool(props["PrivateDnsEnabled"]), bool(endpoint.get("PrivateDnsEnabled"))
                ),
            )

    def _policy(self, template_policy: Any, actual: Any) -> tuple[str, str, Status]:
        want = self.resolver.resolve(template_policy)
        if actual in (None, ""):
            return _policy_summary(want), "no policy", "missing"
        difference = policy_difference(want, actual)
        if difference is None:
            return _policy_summary(want), "the same", "ok"
        return _policy_summary(want), difference, "drift"

    # -- S3 buckets (S3-1..S3-4) -----------------------------------------------------------

    def check_bucket(
        self, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
    ) -> None:
        assert deployed is not None
        kind, bucket = "AWS::S3::Bucket", deployed.physical_id
        target = (logical_id, bucket, kind)
        s3 = self.clients("s3")
        room = self.room

        def control(room_control: str) -> str:
            return room_control if room else "MON-2"

        found = self.fetch(
            control("S3-1"),
            target,
            lambda: s3.head_bucket(Bucket=bucket),
            lambda e: _error_code(e) in ("404", "NoSuchBucket", "NotFound"),
            what=f"bucket {bucket}",
        )
        if found is None:
            return

        encryption = props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration")
        if encryption:
            self.run(
                control("S3-2"),
                target,
                "default encryption",
                lambda: self._bucket_encryption(bucket, encryption[0]),
            )
        if props.get("VersioningConfiguration", {}).get("Status") == "Enabled":

            def versioning() -> tuple[str, str, Status]:
                status = s3.get_bucket_versioning(Bucket=bucket).get("Status")
                return _equal("Enabled", str(status or "never enabled"))

            self.run(control("S3-1"), target, "versioning", versioning)
        if "PublicAccessBlockConfiguration" in props:
            self.run(
                control("S3-3"),
                target,
                "public access block",
                lambda: self._public_access_block(bucket, props["PublicAccessBlockConfiguration"]),
            )
        ownership_rules = props.get("OwnershipControls", {}).get("Rules", [])
        if ownership_rules:
            want_ownership = str(ownership_rules[0].get("ObjectOwnership"))

            def ownership() -> tuple[str, str, Status]:
                try:
                    rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
                except ClientError as exc:
                    if _error_code(exc) != "OwnershipControlsNotFoundError":
                        raise
                    return want_ownership, "no ownership controls", "drift"
                have = ", ".join(str(r.get("ObjectOwnership")) for r in rules.get("Rules", []))
                return _equal(want_ownership, have)

            self.run(control("S3-3"), target, "object ownership (ACLs disabled)", ownership)
        if props.get("ObjectLockEnabled") or "ObjectLockConfiguration" in props:
            self.run(
                control("S3-1"),
                target,
                "object lock",
                lambda: self._object_lock(bucket, props.get("ObjectLockConfiguration", {})),
            )
        self.run(control("S3-3"), target, "bucket policy", lambda: self._bucket_policy(bucket))

    def _bucket_encryption(self, bucket: str, rule: Mapping[str, Any]) -> tuple[str, str, Status]:
        default = self.resolver.resolve(rule.get("ServerSideEncryptionByDefault", {}))
        want_algorithm = str(default.get("SSEAlgorithm", ""))
        want_key = default.get("KMSMasterKeyID")
        expected = want_algorithm + (f" with key {self._key_id(str(want_key))}" if want_key else "")
        try:
            config = self.clients("s3").get_bucket_encryption(Bucket=bucket)
        except ClientError as exc:
            if _error_code(exc) != "ServerSideEncryptionConfigurationNotFoundError":
                raise
            return expected, "no default encryption", "drift"
        rules = config["ServerSideEncryptionConfiguration"]["Rules"]
        have_default = rules[0].get("ApplyServerSideEncryptionByDefault", {}) if rules else {}
        have_algorithm = str(have_default.get("SSEAlgorithm", ""))
        have_key = have_default.get("KMSMasterKeyID")
        actual = have_algorithm + (f" with key {_key_id(str(have_key))}" if have_key else "")
        same = have_algorithm == want_algorithm and (
            not want_key
            or (have_key is not None and self._key_id(str(have_key)) == self._key_id(str(want_key)))
        )
        return expected, actual or "none", "ok" if same else "drift"

    def _public_access_block(
        self, bucket: str, template_block: Mapping[str, Any]
    ) -> tuple[str, str, Status]:
        want = {flag for flag in PUBLIC_ACCESS_FLAGS if template_block.get(flag)}
        expected = ", ".join(sorted(want)) + " on"
        try:
            block = self.clients("s3").get_public_access_block(Bucket=bucket)
        except ClientError as exc:
            if _error_code(exc) != "NoSuchPublicAccessBlockConfiguration":
                raise
            return expected, "no public access block", "drift"
        config = block["PublicAccessBlockConfiguration"]
        off = sorted(flag for flag in want if not config.get(flag))
        if off:
            return expected, "off: " + ", ".join(off), "drift"
        return expected, "all on", "ok"

    def _object_lock(
        self, bucket: str, template_lock: Mapping[str, Any]
    ) -> tuple[str, str, Status]:
        retention = template_lock.get("Rule", {}).get("DefaultRetention", {})
        want_mode = retention.get("Mode")
        want_days = int(retention.get("Days", 0))
        if self._is_trail_bucket(bucket):
            # The baseline's floor for the bucket a trail writes to.
            want_days = max(want_days, self.baseline.trail.object_lock_days)
        expected = "Enabled" + (f", {want_mode} {want_days} days" if want_mode else "")
        try:
            lock = self.clients("s3").get_object_lock_configuration(Bucket=bucket)
        except ClientError as exc:
            if _error_code(exc) != "ObjectLockConfigurationNotFoundError":
                raise
            return expected, "no object lock", "drift"
        config = lock["ObjectLockConfiguration"]
        have = config.get("Rule", {}).get("DefaultRetention", {})
        have_days = int(have.get("Days") or 0) + 365 * int(have.get("Years") or 0)
        actual = f"{config.get('ObjectLockEnabled')}, {have.get('Mode')} {have_days} days"
        same = config.get("ObjectLockEnabled") == "Enabled" and (
            not want_mode or (have.get("Mode") == want_mode and have_days >= want_days)
        )
        return expected, actual, "ok" if same else "drift"

    def _is_trail_bucket(self, bucket: str) -> bool:
        for resource in self.resources.values():
            if resource.get("Type") == "AWS::CloudTrail::Trail":
                try:
                    name = self.resolver.resolve(resource["Properties"].get("S3BucketName"))
                except UnresolvableError:
                    continue
                if name == bucket:
                    return True
        return False

    def _bucket_policy(self, bucket: str) -> tuple[str, str, Status]:
        template_policies = [
            resource["Properties"]["PolicyDocument"]
            for resource in self.resources.values()
            if resource.get("Type") == "AWS::S3::BucketPolicy"
            and self.resolver.resolve(resource["Properties"].get("Bucket")) == bucket
        ]
        try:
            actual: Any = self.clients("s3").get_bucket_policy(Bucket=bucket)["Policy"]
        except ClientError as exc:
            if _error_code(exc) != "NoSuchBucketPolicy":
                raise
            actual = None
        if not template_policies:
            if actual is None:
                return "no bucket policy", "none", "ok"
            return "no bucket policy", f"a policy: {json.dumps(parse_policy(actual))}", "drift"
        return self._policy(template_policies[0], actual)

    # -- KMS keys (S3-2 in a room, MON-2 in production) ------------------------------------

    def check_key(
        self, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
    ) -> None:
        assert deployed is not None
        kind, key_id = "AWS::KMS::Key", deployed.physical_id
        control = "S3-2" if self.room else "MON-2"
        target = (logical_id, key_id, kind)
        kms = self.clients("kms")
        rotation = self.fetch(
            control,
            target,
            lambda: kms.get_key_rotation_status(KeyId=key_id),
            lambda e: _error_code(e) == "NotFoundException",
            what=f"key {key_id}",
        )
        if rotation is None:
            return

        def state() -> tuple[str, str, Status]:
            metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
            want = "Enabled" if props.get("Enabled", True) else "Disabled"
            return _equal(want, str(metadata.get("KeyState", "")))

        self.run(control, target, "key state", state)
        symmetric = props.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
        want_rotation = bool(props.get("EnableKeyRotation")) or (
            symmetric and self.baseline.kms.rotation
        )
        if want_rotation:
            self.run(
                control,
                target,
                "key rotation",
                lambda: _flag(True, bool(rotation.get("KeyRotationEnabled"))),
            )

            def period() -> tuple[str, str, Status]:
                limit = int(props.get("RotationPeriodInDays") or 0) or (
                    self.baseline.kms.max_rotation_period_days
                )
                expected = f"at most {limit} days"
                if "RotationPeriodInDays" not in rotation:
                    raise _UnverifiableError(
                        "the endpoint does not return RotationPeriodInDays", expected
                    )
                have = int(rotation["RotationPeriodInDays"])
                return expected, f"{have} days", "ok" if have <= limit else "drift"

            self.run(control, target, "rotation period", period)
        if "KeyPolicy" in props:
            self.run(
                control,
                target,
                "key policy",
                lambda: self._policy(
                    props["KeyPolicy"],
                    kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"],
                ),
            )

    # -- IAM (IAM-1..IAM-5) ----------------------------------------------------------------

    def _attached_to_role(self, kind: str, role_name: str) -> list[tuple[str, dict[str, Any]]]:
        """Template policies of ``kind`` whose ``Roles`` name this role."""
        attached = []
        for logical_id, resource in self.resources.items():
            if resource.get("Type") != kind:
                continue
            props = resource.get("Properties", {})
            try:
                roles = self.resolver.resolve(props.get("Roles", []))
            except UnresolvableError:
                continue
            if role_name in roles:
                attached.append((logical_id, props))
        return attached

    def check_role(
        self, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
    ) -> None:
        assert deployed is not None
        kind, role_name = "AWS::IAM::Role", deployed.physical_id
        target = (logical_id, role_name, kind)
        iam = self.clients("iam")
        role = self.fetch(
            "IAM-1",
            target,
            lambda: iam.get_role(RoleName=role_name)["Role"],
            lambda e: _error_code(e) == "NoSuchEntity",
            what=f"role {role_name}",
        )
        if role is None:
            return
        self.run(
            "IAM-1",
            target,
            "trust policy",
            lambda: self._policy(
                props["AssumeRolePolicyDocument"], role["AssumeRolePolicyDocument"]
            ),
        )
        if "MaxSessionDuration" in props:
            self.run(
                "IAM-1",
                target,
                "max session duration",
                lambda: _equal(
                    f"{int(props['MaxSessionDuration'])} s",
                    f"{role.get('MaxSessionDuration')} s",
                ),
            )

        # Inline policies: the role's own ``Policies`` and AWS::IAM::Policy resources naming it.
        inline: dict[str, Any] = {}
        inline_errors: list[str] = []
        for policy in props.get("Policies", []):
            inline[str(policy["PolicyName"])] = policy["PolicyDocument"]
        for _, policy_props in self._attached_to_role("AWS::IAM::Policy", role_name):
            try:
                inline[self.resolver.resolve_str(policy_props["PolicyName"])] = policy_props[
                    "PolicyDocument"
                ]
            except UnresolvableError as exc:
                inline_errors.append(str(exc))

        for name, document in inline.items():

            def compare(name: str = name, document: Any = document) -> tuple[str, str, Status]:
                try:
                    have = iam.get_role_policy(RoleName=role_name, PolicyName=name)
                except ClientError as exc:
                    if _error_code(exc) != "NoSuchEntity":
                        raise
                    return _policy_summary(self.resolver.resolve(document)), "absent", "missing"
                return self._policy(document, have["PolicyDocument"])

            self.run("IAM-2", target, f"inline policy {name}", compare)

        def extra_inline() -> tuple[str, str, Status]:
            if inline_errors:
                raise _UnverifiableError("; ".join(inline_errors))
            names = _paginate(iam, "list_role_policies", "PolicyNames", RoleName=role_name)
            extra = sorted(set(map(str, names)) - set(inline))
            expected = ", ".join(sorted(inline)) or "none"
            if extra:
                return expected, "extra: " + ", ".join(extra), "drift"
            return expected, "none extra", "ok"

        self.run("IAM-3", target, "no other inline policy", extra_inline)

        def managed() -> tuple[str, str, Status]:
            want = {self.resolver.resolve_str(a) for a in props.get("ManagedPolicyArns", [])}
            for policy_logical_id, _ in self._attached_to_role(
                "AWS::IAM::ManagedPolicy", role_name
            ):
                want.add(self.resolver.resolve_str({"Ref": policy_logical_id}))
            attached = _paginate(
                iam, "list_attached_role_policies", "AttachedPolicies", RoleName=role_name
            )
            have = {str(p["PolicyArn"]) for p in attached}
            expected = ", ".join(sorted(want)) or "none"
            if have == want:
                return expected, "the same", "ok"
            parts = []
            if have - want:
                parts.append("extra: " + ", ".join(sorted(have - want)))
            if want - have:
                parts.append("lacking: " + ", ".join(sorted(want - have)))
            return expected, "; ".join(parts), "drift"

        self.run("IAM-3", target, "attached managed policies", managed)

        def boundary() -> tuple[str, str, Status]:
            want = (
                self.resolver.resolve_str(props["PermissionsBoundary"])
                if "PermissionsBoundary" in props
                else "none"
            )
            have = str(role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn") or "none")
            return _equal(want, have)

        self.run("IAM-5", target, "permissions boundary", boundary)

    def check_managed_policy(
        self, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
    ) -> None:
        assert deployed is not None
        kind, arn = "AWS::IAM::ManagedPolicy", deployed.physical_id
        target = (logical_id, arn, kind)
        boundary = any(
            r.get("Properties", {}).get("PermissionsBoundary") == {"Ref": logical_id}
            for r in self.resources.values()
            if r.get("Type") == "AWS::IAM::Role"
        )
        control = "IAM-5" if boundary else "IAM-2"
        iam = self.clients("iam")
        policy = self.fetch(
            control,
            target,
            lambda: iam.get_policy(PolicyArn=arn)["Policy"],
            lambda e: _error_code(e) == "NoSuchEntity",
            what=f"managed policy {arn}",
        )
        if policy is None:
            return

        def document() -> tuple[str, str, Status]:
            version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
            return self._policy(props["PolicyDocument"], version["PolicyVersion"]["Document"])

        self.run(control, target, "policy document", document)

    # -- AWS Config (MON-5) ----------------------------------------------------------------

    def _account_config_rules(self) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            return _paginate(self.clients("config"), "describe_config_rules", "ConfigRules")

        rules: list[dict[str, Any]] = self.cached("config-rules", read)
        return rules

    def check_config_rule(
        self, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
    ) -> None:
        kind = "AWS::Config::ConfigRule"
        source = props.get("Source", {})
        identifier = str(source.get("SourceIdentifier", ""))
        in_baseline = identifier in self.baseline.config_rules
        expected = f"{source.get('Owner')} {identifier}, ACTIVE" + (
            " (baseline)" if in_baseline else ""
        )
        try:
            rules = {str(r["ConfigRuleName"]): r for r in self._account_config_rules()}
            name = deployed.physical_id if deployed else self.locate(logical_id)
        except (ClientError, BotoCoreError, UnresolvableError) as exc:
            _raise_if_fatal(exc)
            reason = _describe_error(exc) if isinstance(exc, ClientError) else str(exc)
            self.add(
                "MON-5", logical_id, "", kind, "rule present", expected, reason, "unverifiable"
            )
            return
        rule = rules.get(name) if name else None
        if rule is None or name is None:
            self.add(
                "MON-5", logical_id, name or "", kind, "rule present", expected, "absent", "missing"
            )
            return
        have_source = rule.get("Source", {})
        actual = (
            f"{have_source.get('Owner')} {have_source.get('SourceIdentifier')}, "
            f"{rule.get('ConfigRuleState', 'ACTIVE')}"
        )
        same = (
            have_source.get("Owner") == source.get("Owner")
            and have_source.get("SourceIdentifier") == identifier
            and rule.get("ConfigRuleState", "ACTIVE") == "ACTIVE"
        )
        self.add(
            "MON-5",
            logical_id,
            name,
            kind,
            "rule present",
            expected,
            actual,
            "ok" if same else "drift",
        )

    def _locate_config_rule(
        self, logical_id: str, props: Mapping[str, Any], rules: Sequence[Mapping[str, Any]]
    ) -> Mapping[str, Any] | None:
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

    def check_baseline_config_rules(self) -> None:
        """Baseline rules no template rule stands for must still run in the account."""
        covered = {
            str(r.get("Properties", {}).get("Source", {}).get("SourceIdentifier"))
            for r in self.resources.values()
            if r.get("Type") == "AWS::Config::ConfigRule"
        }
        for identifier in self.baseline.config_rules:
            if identifier in covered:
                continue

            def present(identifier: str = identifier) -> tuple[str, str, Status]:
                rules = self._account_config_rules()
                names = [
                    str(r["ConfigRuleName"])
                    for r in rules
                    if r.get("Source", {}).get("SourceIdentifier") == identifier
                ]
                status: Status = "ok" if names else "missing"
                return f"a rule {identifier} (baseline)", ", ".join(names) or "absent", status

            self.run(
                "MON-5", ("baseline", "", "AWS::Config::ConfigRule"), f"rule {identifier}", present
            )


_Checker = Callable[[_StackAudit, str, dict[str, Any], DeployedResource | None], None]
_CHECKERS: dict[str, _Checker] = {
    "AWS::CloudTrail::Trail": _StackAudit.check_trail,
    "AWS::GuardDuty::Detector": _StackAudit.check_detector,
    "AWS::EC2::VPC": _StackAudit.check_vpc,
    "AWS::EC2::FlowLog": _StackAudit.check_flow_log,
    "AWS::EC2::VPCEndpoint": _StackAudit.check_endpoint,
    "AWS::S3::Bucket": _StackAudit.check_bucket,
    "AWS::KMS::Key": _StackAudit.check_key,
    "AWS::IAM::Role": _StackAudit.check_role,
    "AWS::IAM::ManagedPolicy": _StackAudit.check_managed_policy,
    "AWS::Config::ConfigRule": _StackAudit.check_config_rule,
}
#: The control of a resource type's "exists" finding when it is not even listed.
_CONTROLS: dict[str, str] = {
    "AWS::CloudTrail::Trail": "MON-1",
    "AWS::GuardDuty::Detector": "MON-3",
    "AWS::EC2::VPC": "NET-1",
    "AWS::EC2::FlowLog": "NET-5",
    "AWS::EC2::VPCEndpoint": "NET-2",
    "AWS::S3::Bucket": "S3-1",
    "AWS::KMS::Key": "S3-2",
    "AWS::IAM::Role": "IAM-1",
    "AWS::IAM::ManagedPolicy": "IAM-2",
    "AWS::Config::ConfigRule": "MON-5",
}


# --- small comparisons ----------------------------------------------------------------------


def _flag(want: bool, have: bool) -> tuple[str, str, Status]:
    return str(want).lower(), str(have).lower(), "ok" if want == have else "drift"


def _equal(want: str, have: str) -> tuple[str, str, Status]:
    return want, have, "ok" if want == have else "drift"


def _none_of(found: Sequence[str]) -> tuple[str, str, Status]:
    return "none", ", ".join(found) or "none", "drift" if found else "ok"


def _feature(
    detector: Mapping[str, Any], name: str, configuration: str = ""
) -> tuple[str, str, Status]:
    if "Features" not in detector:
        # Older endpoints (and some emulators) answer without features: not a pass.
        raise _UnverifiableError("the endpoint returned no Features for the detector", "ENABLED")
    features = {str(f.get("Name")): f for f in detector["Features"]}
    feature = features.get(name)
    if feature is None:
        return "ENABLED", "absent", "drift"
    if not configuration:
        return _equal("ENABLED", str(feature.get("Status")))
    configurations = {
        str(c.get("Name")): str(c.get("Status")) for c in feature.get("AdditionalConfiguration", [])
    }
    return _equal("ENABLED", configurations.get(configuration, "absent"))


def _paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    if client.can_paginate(operation):
        pages = client.get_paginator(operation).paginate(**kwargs)
        return [item for page in pages for item in page.get(key, [])]
    return list(getattr(client, operation)(**kwargs).get(key, []))


def _data_event_coverage(
    template_selectors: Sequence[Mapping[str, Any]], response: Mapping[str, Any]
) -> tuple[str, str, Status]:
    """Whether the trail's (basic or advanced) selectors still record each template data value."""
    wanted = [
        (str(resource["Type"]), str(value), str(selector.get("ReadWriteType", "All")))
        for selector in template_selectors
        for resource in selector.get("DataResources", [])
        for value in resource.get("Values", [])
    ]
    expected = ", ".join(f"{t} {v} ({rw})" for t, v, rw in wanted)
    uncovered = []
    for kind, value, read_write in wanted:
        basic = any(
            selector.get("ReadWriteType", "All") in ("All", read_write)
            and resource.get("Type") == kind
            and any(value.startswith(str(v)) for v in resource.get("Values", []))
            for selector in response.get("EventSelectors", [])
            for resource in selector.get("DataResources", [])
        )
        advanced = any(
            _advanced_covers(selector, kind, value, read_write)
            for selector in response.get("AdvancedEventSelectors", [])
        )
        if not (basic or advanced):
            uncovered.append(f"{kind} {value} ({read_write})")
    if uncovered:
        return expected, "not recorded: " + ", ".join(uncovered), "drift"
    return expected, "all recorded", "ok"


def _advanced_covers(selector: Mapping[str, Any], kind: str, value: str, read_write: str) -> bool:
    fields = {str(f.get("Field")): f for f in selector.get("FieldSelectors", [])}
    category = fields.get("eventCategory", {}).get("Equals", [])
    if "Data" not in category:
        return False
    if kind not in fields.get("resources.type", {}).get("Equals", []):
        return False
    read_only = fields.get("readOnly", {}).get("Equals")
    if read_only and read_write == "All":
        return False
    arn = fields.get("resources.ARN")
    if arn is None:
        return True
    return value in arn.get("Equals", []) or any(
        value.startswith(str(p)) for p in arn.get("StartsWith", [])
    )


def _management_coverage(
    template_selectors: Sequence[Mapping[str, Any]], response: Mapping[str, Any]
) -> tuple[str, str, Status]:
    """Management events are recorded (CloudFormation's default without selectors)."""
    read_write = next(
        (
            str(s.get("ReadWriteType", "All"))
            for s in template_selectors
            if s.get("IncludeManagementEvents", True)
        ),
        "All" if not template_selectors else None,
    )
    if read_write is None:
        return "not required by the template", "not compared", "ok"
    expected = f"management events ({read_write})"
    basic = any(
        s.get("IncludeManagementEvents", True)
        and s.get("ReadWriteType", "All") in ("All", read_write)
        for s in response.get("EventSelectors", [])
    )
    advanced = any(
        "Management"
        in {
            str(v)
            for f in s.get("FieldSelectors", [])
            if f.get("Field") == "eventCategory"
            for v in f.get("Equals", [])
        }
        for s in response.get("AdvancedEventSelectors", [])
    )
    if basic or advanced:
        return expected, "recorded", "ok"
    return expected, "not recorded", "drift"


# --- the audit ------------------------------------------------------------------------------


def default_client_factory(endpoint_url: str | None = None) -> ClientFactory:
    """boto3 clients of the default credential chain, in the region asked (account ignored).

    One fresh session per factory, so one run resolves credentials once and never reuses another
    run's. ``endpoint_url`` (or boto3's own ``AWS_ENDPOINT_URL``) points the clients at a local
    endpoint such as moto; S3 then uses path-style addresses, which such endpoints need.
    """
    session = boto3.session.Session()
    local = endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
    config = Config(
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=10,
        read_timeout=60,
        s3={"addressing_style": "path"} if local else {},
    )

    def make(service: str, account: str, region: str) -> Any:
        del account  # the credentials decide the account; audit_assembly compares it first
        return session.client(  # type: ignore[call-overload]
            service, region_name=region, endpoint_url=endpoint_url, config=config
        )

    return make


def audit_assembly(
    assembly: Path,
    baseline: Baseline,
    *,
    client_factory: ClientFactory | None = None,
    endpoint_url: str | None = None,
    stacks: Sequence[str] | None = None,
    default_region: str | None = None,
) -> AuditReport:
    """Audit every (or each named) stack of ``assembly`` in its deployed account.

    Without ``client_factory`` the default credential chain is used and stacks of accounts other
    than the credentials' are skipped. With one, ``client_factory(service, account, region)``
    must return a client acting in that account. :class:`AuditError` (a usage problem: no
    assembly, no credentials, no endpoint) is the only exception to expect.
    """
    artifacts = select_stacks(read_assembly(assembly), list(stacks or ()))
    if not artifacts:
        raise AssemblyError(f"{assembly}: the cloud assembly holds no CloudFormation stack")
    caller_account: str | None = None
    factory = client_factory
    if factory is None:
        factory = default_client_factory(endpoint_url)
    outcomes: list[StackOutcome] = []
    findings: list[Finding] = []
    try:
        if client_factory is None or any(a.account is None for a in artifacts):
            region = next((a.region for a in artifacts if a.region), default_region or "us-east-1")
            identity = factory("sts", "", region).get_caller_identity()
            caller_account = str(identity["Account"])
        for artifact in artifacts:
            account = artifact.account or caller_account or ""
            region = artifact.region or default_region or ""
            if not region:
                raise AuditError(
                    f"{artifact.display_name} is environment-agnostic; set AWS_REGION to audit it"
                )
            if client_factory is None and caller_account and account != caller_account:
                outcomes.append(
                    StackOutcome(
                        artifact.artifact_id,
                        artifact.stack_name,
                        account,
                        region,
                        "skipped",
                        f"credentials are for account {caller_account}",
                    )
                )
                continue
            outcome, stack_findings = _audit_stack(artifact, account, region, baseline, factory)
            outcomes.append(outcome)
            findings.extend(stack_findings)
    except (BotoCoreError, ClientError) as exc:
        _raise_if_fatal(exc)
        reason = _describe_error(exc) if isinstance(exc, ClientError) else str(exc)
        raise AuditError(f"the audit could not run: {reason}") from exc
    return AuditReport(
        assembly=str(assembly),
        baseline=baseline.source,
        stacks=tuple(outcomes),
        findings=tuple(findings),
    )


def _audit_stack(
    artifact: StackArtifact,
    account: str,
    region: str,
    baseline: Baseline,
    factory: ClientFactory,
) -> tuple[StackOutcome, list[Finding]]:
    template = artifact.template()
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = factory(service, account, region)
        return clients[service]

    cloudformation = client("cloudformation")
    name = artifact.stack_name
    try:
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as exc:
        _raise_if_fatal(exc)
        if _error_code(exc) == "ValidationError" and "does not exist" in str(exc):
            finding = Finding(
                name, AUDIT_CONTROL, name, "", "AWS::CloudFormation::Stack", "stack deployed",
                f"stack {name} in {account}/{region}", "does not exist", "missing",
            )  # fmt: skip
            outcome = StackOutcome(
                artifact.artifact_id, name, account, region, "missing", "the stack does not exist"
            )
            return outcome, [finding]
        # Without the stack's own description nothing else can be judged: the credentials
        # lack a permission the audit needs, a usage problem.
        raise AuditError(
            f"cannot read stack {name} in {account}/{region}: {_describe_error(exc)}"
        ) from exc
    try:
        summaries = _paginate(
            cloudformation, "list_stack_resources", "StackResourceSummaries", StackName=name
        )
    except ClientError as exc:
        _raise_if_fatal(exc)
        raise AuditError(
            f"cannot list the resources of {name} in {account}/{region}: {_describe_error(exc)}"
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
    audit = _StackAudit(
        artifact=artifact,
        account=account,
        region=region,
        template=template,
        baseline=baseline,
        clients=client,
        resolver=resolver,
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
    audit.audit()
    return StackOutcome(artifact.artifact_id, name, account, region, "audited"), audit.findings
