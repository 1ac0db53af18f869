"""Deploy a synthesized stack into moto the way ``cdk bootstrap`` + ``cdk deploy`` would.

:func:`deploy_stack` works in the stack's own account and region (taken from the synthesized
stack): it writes the bootstrap version to SSM, creates the bootstrap assets bucket, publishes the
file assets listed in ``<Stack>.assets.json`` to it, and creates the stack from the synthesized
template file of the cloud assembly.

The deployed template is a copy of the synthesized one with three changes moto needs (moto 5.2.5):

- ``Custom::VpcRestrictDefaultSG`` is removed. moto answers a custom resource by invoking its
  Lambda function, runs Lambda code only in Docker, and expects the function to call back to a
  server listening beyond 127.0.0.1; without that the stack never leaves CREATE_IN_PROGRESS. The
  provider's role and function stay, and moto creates the function from the published asset.
- The ``Tags`` of ``AWS::KMS::Key`` are rewritten from CloudFormation's ``Key``/``Value`` to the
  KMS API's ``TagKey``/``TagValue``: moto's key model reads only the latter and fails the whole
  ``CreateStack`` call (HTTP 500) on the former.
- The ``Tags`` of ``AWS::SSM::Parameter`` (a JSON object in CloudFormation) are rewritten to a
  ``Key``/``Value`` list, the only shape moto's parameter model reads (HTTP 500 otherwise).
"""

from __future__ import annotations

import copy
import io
import json
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_cdk import App, Stack
from botocore.exceptions import ClientError

# moto returns VPC endpoint policies as a Python repr; the audit already reads every shape.
from dataroom.audit import parse_policy as policy_document  # noqa: F401 - re-exported

#: ``aws_client(service, account=..., region=...)`` from ``conftest.py``.
ClientFactory = Callable[..., Any]

#: CloudFormation's limit on a TemplateBody; a larger template must be uploaded to S3.
TEMPLATE_BODY_LIMIT = 51_200
BOOTSTRAP_QUALIFIER = "hnb659fds"
#: A current bootstrap version (what ``cdk bootstrap`` writes to SSM); the rule wants 6 or more.
BOOTSTRAP_VERSION = "30"
#: Custom resources moto cannot run (see the module docstring).
UNSUPPORTED_CUSTOM_RESOURCES = frozenset({"Custom::VpcRestrictDefaultSG"})
#: Resource types moto's CloudFormation skips (it warns and lists them without a logical id).
SKIPPED_BY_MOTO = frozenset(
    {
        "AWS::Athena::WorkGroup",
        "AWS::CloudTrail::Trail",
        "AWS::CloudWatch::Alarm",
        # moto 5.2.5 has no CodeArtifact: the workbench's mirror is proven on the template.
        "AWS::CodeArtifact::Domain",
        "AWS::CodeArtifact::PackageGroup",
        "AWS::CodeArtifact::Repository",
        "AWS::Config::ConfigRule",
        "AWS::Config::ConfigurationRecorder",
        "AWS::Config::DeliveryChannel",
        "AWS::GuardDuty::Detector",
        "AWS::GuardDuty::MalwareProtectionPlan",  # the airlock's scanner (docs/airlock.md)
        "AWS::Logs::MetricFilter",
        "AWS::Route53Resolver::FirewallDomainList",
        "AWS::Route53Resolver::FirewallRuleGroup",
        "AWS::Route53Resolver::FirewallRuleGroupAssociation",
        "AWS::S3::BucketPolicy",
        "AWS::SNS::Subscription",
        "AWS::SNS::TopicPolicy",
        "AWS::SQS::QueuePolicy",
        # The room lifecycle (LCY-1, LCY-2): moto 5.2 has no CloudFormation model of these.
        "AWS::Budgets::Budget",
        "AWS::Budgets::BudgetsAction",
        "AWS::Scheduler::Schedule",
        "AWS::Scheduler::ScheduleGroup",
    }
)
STACK_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class DeployedStack:
    """A stack created in moto, with what was deployed and what moto made of it."""

    stack: Stack
    stack_id: str
    stack_status: str
    template: dict[str, Any]
    #: The logical ids removed from the deployed copy of ``template``.
    removed: tuple[str, ...]
    #: LogicalResourceId -> the summary moto lists, for resources moto created.
    resources: dict[str, dict[str, Any]]
    #: How many listed resources moto left without a logical id (the types it skips).
    unnamed_resources: int
    outputs: dict[str, str]
    #: S3 key -> bytes of each asset published to the bootstrap bucket.
    published: dict[str, bytes] = field(default_factory=dict)

    @property
    def account(self) -> str:
        return str(self.stack.account)

    @property
    def region(self) -> str:
        return str(self.stack.region)

    def physical_id(self, prefix: str, resource_type: str) -> str:
        """The physical id of the one ``resource_type`` whose logical id starts with ``prefix``."""
        matches = [
            summary["PhysicalResourceId"]
            for logical_id, summary in self.resources.items()
            if logical_id.startswith(prefix) and summary["ResourceType"] == resource_type
        ]
        assert len(matches) == 1, f"{prefix} {resource_type}: expected one, found {matches}"
        return str(matches[0])

    def physical_ids(self, resource_type: str) -> list[str]:
        return [
            str(summary["PhysicalResourceId"])
            for summary in self.resources.values()
            if summary["ResourceType"] == resource_type
        ]


def deployable(template: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A copy of ``template`` that moto can create (see the module docstring), and what it lost."""
    result = copy.deepcopy(template)
    resources = result["Resources"]
    removed = tuple(
        logical_id
        for logical_id, resource in resources.items()
        if resource["Type"] in UNSUPPORTED_CUSTOM_RESOURCES
    )
    for logical_id in removed:
        del resources[logical_id]
    text = json.dumps(result)
    for logical_id in removed:
        assert f'"{logical_id}"' not in text, f"{logical_id} is still referred to"
    for resource in resources.values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::KMS::Key" and "Tags" in properties:
            properties["Tags"] = [
                {"TagKey": tag["Key"], "TagValue": tag["Value"]} for tag in properties["Tags"]
            ]
        if resource["Type"] == "AWS::SSM::Parameter" and isinstance(properties.get("Tags"), dict):
            properties["Tags"] = [{"Key": k, "Value": v} for k, v in properties["Tags"].items()]
    return result, removed


def _zip_directory(directory: Path) -> bytes:
    """The directory's files in a zip archive, paths relative to it, as ``cdk deploy`` packs."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory).as_posix())
    return buffer.getvalue()


def _bootstrap(aws_client: ClientFactory, account: str, region: str) -> str:
    """What ``cdk bootstrap`` leaves that a deployment reads: the version and the assets bucket."""
    ssm = aws_client("ssm", account=account, region=region)
    ssm.put_parameter(
        Name=f"/cdk-bootstrap/{BOOTSTRAP_QUALIFIER}/version",
        Value=BOOTSTRAP_VERSION,
        Type="String",
        Overwrite=True,
    )
    bucket = f"cdk-{BOOTSTRAP_QUALIFIER}-assets-{account}-{region}"
    s3 = aws_client("s3", account=account, region=region)
    try:
        s3.create_bucket(Bucket=bucket)
    except ClientError as error:
        if error.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise
    return bucket


def _publish_assets(
    aws_client: ClientFactory, assets_manifest: Path, bucket: str, account: str, region: str
) -> dict[str, bytes]:
    """Upload each file asset of the manifest where ``cdk deploy`` would; returns key -> bytes."""
    manifest = json.loads(assets_manifest.read_text(encoding="utf-8"))
    s3 = aws_client("s3", account=account, region=region)
    published = {}
    for asset in manifest["files"].values():
        source = assets_manifest.parent / asset["source"]["path"]
        zipped = asset["source"].get("packaging") == "zip"
        body = _zip_directory(source) if zipped else source.read_bytes()
        for destination in asset["destinations"].values():
            assert destination["bucketName"] == bucket, destination
            s3.put_object(Bucket=bucket, Key=destination["objectKey"], Body=body)
            published[destination["objectKey"]] = body
    return published


def _wait_for_stack(cloudformation: Any, stack_name: str) -> dict[str, Any]:
    deadline = time.monotonic() + STACK_TIMEOUT_S
    while True:
        stack: dict[str, Any] = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
        if not stack["StackStatus"].endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            return stack
        time.sleep(0.5)


def _stack_events(cloudformation: Any, stack_name: str) -> str:
    events = cloudformation.describe_stack_events(StackName=stack_name)["StackEvents"]
    return "\n".join(
        f"{e.get('LogicalResourceId', '')} {e.get('ResourceType', '')} "
        f"{e.get('ResourceStatus', '')} {e.get('ResourceStatusReason', '')}"
        for e in reversed(events)
    )


def deploy_stack(aws_client: ClientFactory, app: App, stack: Stack) -> DeployedStack:
    """Bootstrap the stack's environment in moto, publish its assets and create the stack."""
    account, region = str(stack.account), str(stack.region)
    stack_name = stack.stack_name
    assembly = Path(app.outdir)
    template = json.loads((assembly / stack.template_file).read_text(encoding="utf-8"))

    bucket = _bootstrap(aws_client, account, region)
    published = _publish_assets(
        aws_client, assembly / f"{stack.artifact_id}.assets.json", bucket, account, region
    )

    body_template, removed = deployable(template)
    body = json.dumps(body_template, separators=(",", ":"))
    template_source: dict[str, str] = {"TemplateBody": body}
    if len(body.encode()) > TEMPLATE_BODY_LIMIT:
        # As ``cdk deploy`` does: a large template goes to the assets bucket, by its S3 URL.
        key = f"templates/{stack.artifact_id}.json"
        aws_client("s3", account=account, region=region).put_object(
            Bucket=bucket, Key=key, Body=body.encode()
        )
        template_source = {"TemplateURL": f"https://s3.{region}.amazonaws.com/{bucket}/{key}"}
    cloudformation = aws_client("cloudformation", account=account, region=region)
    stack_id = cloudformation.create_stack(
        StackName=stack_name,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        **template_source,
    )["StackId"]
    described = _wait_for_stack(cloudformation, stack_name)
    if described["StackStatus"] != "CREATE_COMPLETE":
        print(f"stack events of {stack_name}:\n{_stack_events(cloudformation, stack_name)}")

    summaries = [
        summary
        for page in cloudformation.get_paginator("list_stack_resources").paginate(
            StackName=stack_name
        )
        for summary in page["StackResourceSummaries"]
    ]
    return DeployedStack(
        stack=stack,
        stack_id=stack_id,
        stack_status=described["StackStatus"],
        template=template,
        removed=removed,
        resources={s["LogicalResourceId"]: s for s in summaries if s.get("LogicalResourceId")},
        unnamed_resources=sum(1 for s in summaries if not s.get("LogicalResourceId")),
        outputs={o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])},
        published=published,
    )
