"""Copies of the example app deployed into moto accounts of their own, completed by boto3.

``dataroom audit`` is tested against deployments nobody else touches: the example's cloud
assembly is copied with its account ids (and, for the CLI copy, its region and names)
rewritten, deployed with ``tests.moto.deploy.deploy_stack`` and then *completed*: moto 5.2.5's
CloudFormation skips or drops part of the templates, so :func:`complete` does with boto3, from the
same template, what CloudFormation would have done:

- skipped resources: the trail (with its settings, event selectors and ``StartLogging``), the
  GuardDuty detector (with its features), the Config rules (named ``<stack>-<logical id>-MOTO``
  as CloudFormation would) and the bucket policies (the template's policy, resolved);
- dropped properties: bucket versioning, public access blocks, ownership controls and object
  lock, and every role's ``ManagedPolicyArns`` (moto attaches none of them);
- misresolved values: moto's ``Fn::GetAtt LogGroup.Arn`` lacks the ``:*`` CloudFormation returns,
  and its ``Ref`` of a skipped detector is not the detector's id, so managed policies naming
  either are stored again as CloudFormation would have stored them;
- moto holds no AWS managed policies, so each ``arn:aws:iam::aws:policy/...`` of the templates
  names a customer-managed stand-in of the same path and name in the stack's account.

The values are resolved by this module's own small resolver, not by ``dataroom.audit``'s, so a
resolver bug in the audit cannot hide behind the fixture.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from aws_cdk import App
from botocore.config import Config
from botocore.exceptions import ClientError

from dataroom.audit import ClientFactory
from tests.moto.conftest import aws_client, deployed, moto_endpoint  # noqa: F401
from tests.moto.deploy import DeployedStack, deploy_stack

#: The example's accounts, rewritten in every copy.
EXAMPLE_ROOM_ACCOUNT = "222222222222"
EXAMPLE_PROD_ACCOUNT = "111111111111"
#: The accounts of the copy the tamper tests use (and restore).
ROOM_ACCOUNT = "333333333333"
PROD_ACCOUNT = "444444444444"
#: A second room copy, for tampering that cannot be undone: a flow log or detector created again
#: gets a new id, which the stack (and the policies naming the detector) do not know.
SPARE_ROOM_ACCOUNT = "555555555555"
SPARE_PROD_ACCOUNT = "666666666666"
#: moto's default account: where clients without the account header (the CLI's) act.
MOTO_DEFAULT_ACCOUNT = "123456789012"
#: Not deployed anywhere: the CLI must skip the stack of this account.
FOREIGN_ACCOUNT = "999999999999"
AWS_MANAGED_POLICY = ":iam::aws:policy/"
CONFIG_RULE_SUFFIX = "MOTO"
#: A stand-in document for an AWS managed policy moto does not hold.
STAND_IN_DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": "*"}],
}


@dataclass
class DeployedCopy:
    """A rewritten copy of the example's assembly, with the stacks deployed from it."""

    assembly: Path
    #: Artifact id -> what moto made of that stack.
    stacks: dict[str, DeployedStack]
    clients: ClientFactory

    def client(self, artifact_id: str, service: str) -> Any:
        """A client in the account and region of one stack of the copy."""
        stack = self.stacks[artifact_id]
        return self.clients(service, stack.account, stack.region)


def audit_client_factory(endpoint: str) -> ClientFactory:
    """``factory(service, account, region)`` for ``audit_assembly``: moto, in that account.

    No retries: moto's 500s (an operation it cannot answer) would otherwise cost back-off time.
    """
    config = Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1})

    def make(service: str, account: str, region: str) -> Any:
        client = boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=endpoint,
            region_name=region,
            config=config,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

        def name_account(request: Any, **_: Any) -> None:
            request.headers["x-moto-account-id"] = account

        client.meta.events.register("before-sign", name_account)
        return client

    return make


# --- copying and deploying --------------------------------------------------------------------


def copy_assembly(source: Path, destination: Path, replacements: Mapping[str, str]) -> Path:
    """The assembly at ``destination``, every replacement applied to its JSON files.

    The AWS managed policies each template names become stand-ins in the stack's own account.
    """
    shutil.copytree(source, destination)
    for path in destination.glob("*.json"):
        text = path.read_text(encoding="utf-8")
        for old, new in replacements.items():
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    for stack in stack_artifacts(destination).values():
        template = destination / stack.template_file
        text = template.read_text(encoding="utf-8")
        template.write_text(
            text.replace(AWS_MANAGED_POLICY, f":iam::{stack.account}:policy/"), encoding="utf-8"
        )
    return destination


def stack_artifacts(assembly: Path) -> dict[str, SimpleNamespace]:
    """Artifact id -> a stand-in for the CDK ``Stack`` that ``deploy_stack`` reads."""
    manifest = json.loads((assembly / "manifest.json").read_text(encoding="utf-8"))
    stacks = {}
    for artifact_id, artifact in manifest["artifacts"].items():
        if artifact["type"] != "aws:cloudformation:stack":
            continue
        account, region = artifact["environment"].removeprefix("aws://").split("/")
        stacks[artifact_id] = SimpleNamespace(
            artifact_id=artifact_id,
            account=account,
            region=region,
            stack_name=artifact["properties"].get("stackName", artifact_id),
            template_file=artifact["properties"]["templateFile"],
        )
    return stacks


def deploy_copy(
    deploy_client: Callable[..., Any],
    clients: ClientFactory,
    assembly: Path,
    artifact_ids: list[str],
) -> DeployedCopy:
    """Deploy (and complete) the named stacks of a copied assembly.

    ``deploy_client`` is the session's ``aws_client`` fixture, which ``deploy_stack`` takes.
    """
    artifacts = stack_artifacts(assembly)
    stacks = {}
    for artifact_id in artifact_ids:
        stack = artifacts[artifact_id]
        result = deploy_stack(deploy_client, SimpleNamespace(outdir=str(assembly)), stack)  # type: ignore[arg-type]
        assert result.stack_status == "CREATE_COMPLETE", result.stack_status
        complete(clients, result)
        stacks[artifact_id] = result
    return DeployedCopy(assembly=assembly, stacks=stacks, clients=clients)


class _Ignoring:
    """``with _Ignoring("Code"):`` swallows a ClientError of that code only."""

    def __init__(self, *codes: str) -> None:
        self.codes = codes

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, traceback: Any) -> bool:
        return isinstance(exc, ClientError) and exc.response["Error"]["Code"] in self.codes


# --- completing what moto's CloudFormation skipped ---------------------------------------------


class FixtureResolver:
    """Just the intrinsics the example's skipped resources and policies use."""

    def __init__(self, stack: DeployedStack, extra: Mapping[str, str]) -> None:
        self.stack = stack
        self.physical = {k: v["PhysicalResourceId"] for k, v in stack.resources.items()}
        self.physical.update(extra)
        self.pseudo = {
            "AWS::AccountId": stack.account,
            "AWS::Region": stack.region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(v) for v in value]
        if not isinstance(value, dict):
            return value
        if list(value) == ["Ref"]:
            name = value["Ref"]
            return self.pseudo[name] if name in self.pseudo else self.physical[name]
        if list(value) == ["Fn::Sub"] and isinstance(value["Fn::Sub"], str):
            text = value["Fn::Sub"]
            for name, pseudo in self.pseudo.items():
                text = text.replace("${" + name + "}", pseudo)
            assert "${" not in text, value
            return text
        if list(value) == ["Fn::Join"]:
            delimiter, parts = value["Fn::Join"]
            return delimiter.join(self(p) for p in parts)
        if list(value) == ["Fn::GetAtt"]:
            logical_id, attribute = value["Fn::GetAtt"]
            kind = self.stack.template["Resources"][logical_id]["Type"]
            if (kind, attribute) == ("AWS::EC2::SecurityGroup", "GroupId"):
                return self.physical[logical_id]
            assert attribute == "Arn", value
            name, account, region = self.physical[logical_id], self.stack.account, self.stack.region
            return {
                "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
                "AWS::KMS::Key": f"arn:aws:kms:{region}:{account}:key/{name}",
                "AWS::IAM::Role": f"arn:aws:iam::{account}:role/{name}",
                "AWS::Logs::LogGroup": f"arn:aws:logs:{region}:{account}:log-group:{name}:*",
                "AWS::SQS::Queue": f"arn:aws:sqs:{region}:{account}:{name.rsplit('/', 1)[-1]}",
                "AWS::Events::Rule": f"arn:aws:events:{region}:{account}:rule/{name}",
                "AWS::Lambda::Function": f"arn:aws:lambda:{region}:{account}:function:{name}",
                "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{region}:{account}:table/{name}",
                "AWS::IAM::ManagedPolicy": name,
                "AWS::SNS::Topic": name,
                "AWS::StepFunctions::StateMachine": name,
            }[kind]
        assert not any(k.startswith("Fn::") for k in value), value
        return {k: self(v) for k, v in value.items()}


def _of_type(stack: DeployedStack, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, resource in stack.template["Resources"].items():
        if resource["Type"] == kind:
            yield logical_id, resource.get("Properties", {})


def config_rule_name(stack: DeployedStack, logical_id: str) -> str:
    """The name the fixture gives a Config rule (CloudFormation's pattern)."""
    return f"{stack.stack.stack_name}-{logical_id}-{CONFIG_RULE_SUFFIX}"


def create_detector(clients: ClientFactory, stack: DeployedStack) -> str:
    """Create the template's GuardDuty detector as CloudFormation would; returns its id."""
    guardduty = clients("guardduty", stack.account, stack.region)
    ((_, props),) = _of_type(stack, "AWS::GuardDuty::Detector")
    detector_id: str = guardduty.create_detector(
        Enable=props["Enable"],
        FindingPublishingFrequency=props["FindingPublishingFrequency"],
        Features=props["Features"],
    )["DetectorId"]
    return detector_id


def complete(clients: ClientFactory, stack: DeployedStack) -> None:
    """Do what moto's CloudFormation skipped or dropped (see the module docstring)."""

    def client(service: str) -> Any:
        return clients(service, stack.account, stack.region)

    extra: dict[str, str] = {}
    if any(True for _ in _of_type(stack, "AWS::GuardDuty::Detector")):
        ((detector, _),) = _of_type(stack, "AWS::GuardDuty::Detector")
        extra[detector] = create_detector(clients, stack)
    for logical_id, props in _of_type(stack, "AWS::CloudTrail::Trail"):
        extra[logical_id] = props["TrailName"]
    resolve = FixtureResolver(stack, extra)
    iam, s3 = client("iam"), client("s3")

    # Stand-ins for AWS managed policies, then every role's ManagedPolicyArns.
    for _, props in _of_type(stack, "AWS::IAM::Role"):
        for arn in resolve(props.get("ManagedPolicyArns", [])):
            if arn.startswith(f"arn:aws:iam::{stack.account}:policy/") and arn not in (
                resolve.physical.values()
            ):
                path, _, name = arn.split(":policy", 1)[1].rpartition("/")
                with _Ignoring("EntityAlreadyExists"):
                    iam.create_policy(
                        PolicyName=name,
                        Path=f"{path}/",
                        PolicyDocument=json.dumps(STAND_IN_DOCUMENT),
                    )
    for logical_id, props in _of_type(stack, "AWS::IAM::Role"):
        for arn in resolve(props.get("ManagedPolicyArns", [])):
            iam.attach_role_policy(RoleName=resolve.physical[logical_id], PolicyArn=arn)

    # Managed policies moto stored with its own (wrong) values.
    for logical_id, props in _of_type(stack, "AWS::IAM::ManagedPolicy"):
        text = json.dumps(props["PolicyDocument"])
        log_group_arns = any(
            f'"Fn::GetAtt": ["{other}", "Arn"]' in text
            for other, _ in _of_type(stack, "AWS::Logs::LogGroup")
        )
        skipped_refs = any(f'{{"Ref": "{other}"}}' in text for other in extra)
        if log_group_arns or skipped_refs:
            iam.create_policy_version(
                PolicyArn=resolve.physical[logical_id],
                PolicyDocument=json.dumps(resolve(props["PolicyDocument"])),
                SetAsDefault=True,
            )

    # Buckets: policies first (as CloudFormation orders them), then the dropped settings.
    for _, props in _of_type(stack, "AWS::S3::BucketPolicy"):
        s3.put_bucket_policy(
            Bucket=resolve(props["Bucket"]), Policy=json.dumps(resolve(props["PolicyDocument"]))
        )
    for logical_id, props in _of_type(stack, "AWS::S3::Bucket"):
        bucket = resolve.physical[logical_id]
        if "VersioningConfiguration" in props:
            s3.put_bucket_versioning(
                Bucket=bucket, VersioningConfiguration=props["VersioningConfiguration"]
            )
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                Bucket=bucket,
                PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"],
            )
        if "OwnershipControls" in props:
            s3.put_bucket_ownership_controls(
                Bucket=bucket, OwnershipControls=props["OwnershipControls"]
            )
        if props.get("ObjectLockEnabled") or "ObjectLockConfiguration" in props:
            lock = props.get("ObjectLockConfiguration", {"ObjectLockEnabled": "Enabled"})
            s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=lock)

    cloudtrail = client("cloudtrail")
    for _, props in _of_type(stack, "AWS::CloudTrail::Trail"):
        name = props["TrailName"]
        cloudtrail.create_trail(
            Name=name,
            S3BucketName=resolve(props["S3BucketName"]),
            IsMultiRegionTrail=props["IsMultiRegionTrail"],
            EnableLogFileValidation=props["EnableLogFileValidation"],
            IncludeGlobalServiceEvents=props["IncludeGlobalServiceEvents"],
            KmsKeyId=resolve(props["KMSKeyId"]),
            CloudWatchLogsLogGroupArn=resolve(props["CloudWatchLogsLogGroupArn"]),
            CloudWatchLogsRoleArn=resolve(props["CloudWatchLogsRoleArn"]),
        )
        cloudtrail.put_event_selectors(
            TrailName=name, EventSelectors=resolve(props["EventSelectors"])
        )
        if props["IsLogging"]:
            cloudtrail.start_logging(Name=name)

    complete_beyond_the_first_audit(clients, stack, resolve)

    config = client("config")
    for logical_id, props in _of_type(stack, "AWS::Config::ConfigRule"):
        rule = {"ConfigRuleName": config_rule_name(stack, logical_id), **props}
        if isinstance(rule.get("InputParameters"), dict):
            rule["InputParameters"] = json.dumps(rule["InputParameters"])
        config.put_config_rule(ConfigRule=rule)


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule in the S3 API's spelling (whole bucket)."""
    out: dict[str, Any] = {"ID": rule.get("Id", "rule"), "Status": rule["Status"], "Filter": {}}
    if "ExpirationInDays" in rule:
        out["Expiration"] = {"Days": rule["ExpirationInDays"]}
    for key in ("NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload"):
        if key in rule:
            out[key] = rule[key]
    return out


def complete_beyond_the_first_audit(
    clients: ClientFactory, stack: DeployedStack, resolve: FixtureResolver
) -> None:
    """What moto drops or skips and the audit's class-2 and class-4 checks read.

    Log groups' KMS keys, security groups' egress rules, notebooks' settings, bucket lifecycle and access logging,
    topic policies, SNS subscriptions, the Config recorder (recording) and the Athena workgroup, all from the
    template. The DNS firewall cannot be completed: moto 5.2 has no Route 53 Resolver firewall.
    """

    def client(service: str) -> Any:
        return clients(service, stack.account, stack.region)

    logs, ec2, s3 = client("logs"), client("ec2"), client("s3")
    for logical_id, props in _of_type(stack, "AWS::Logs::LogGroup"):
        if "KmsKeyId" in props:
            # moto's CloudFormation drops the key and moto has no AssociateKmsKey: the group is
            # created again, by the same name (and so the same ARN), as CloudFormation would.
            name = resolve.physical[logical_id]
            logs.delete_log_group(logGroupName=name)
            logs.create_log_group(logGroupName=name, kmsKeyId=resolve(props["KmsKeyId"]))
            if "RetentionInDays" in props:
                logs.put_retention_policy(
                    logGroupName=name, retentionInDays=props["RetentionInDays"]
                )
    for logical_id, props in _of_type(stack, "AWS::EC2::SecurityGroup"):
        if "SecurityGroupEgress" not in props:
            continue
        group = resolve.physical[logical_id]
        ec2.revoke_security_group_egress(
            GroupId=group,
            IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        )
        for rule in props["SecurityGroupEgress"]:
            permission: dict[str, Any] = {
                "IpProtocol": rule["IpProtocol"],
                "FromPort": rule["FromPort"],
                "ToPort": rule["ToPort"],
            }
            if "CidrIp" in rule:
                permission["IpRanges"] = [{"CidrIp": rule["CidrIp"]}]
            else:  # the workbench's egress names the endpoints' security group (WBN-1)
                group_id = resolve(rule["DestinationSecurityGroupId"])
                permission["UserIdGroupPairs"] = [{"GroupId": group_id}]
            ec2.authorize_security_group_egress(GroupId=group, IpPermissions=[permission])
    sagemaker = client("sagemaker")
    for logical_id, props in _of_type(stack, "AWS::SageMaker::NotebookInstance"):
        # moto's CloudFormation keeps only the type and role: the notebook is created again, by
        # the same name, with the template's network, key and access settings.
        (name,) = (
            n["NotebookInstanceName"]
            for n in sagemaker.list_notebook_instances()["NotebookInstances"]
            if n["NotebookInstanceArn"] == resolve.physical[logical_id]
        )
        sagemaker.stop_notebook_instance(NotebookInstanceName=name)
        sagemaker.delete_notebook_instance(NotebookInstanceName=name)
        sagemaker.create_notebook_instance(
            NotebookInstanceName=name,
            InstanceType=props["InstanceType"],
            RoleArn=resolve(props["RoleArn"]),
            SubnetId=resolve(props["SubnetId"]),
            SecurityGroupIds=resolve(props["SecurityGroupIds"]),
            KmsKeyId=resolve(props["KmsKeyId"]),
            DirectInternetAccess=props["DirectInternetAccess"],
            RootAccess=props["RootAccess"],
            VolumeSizeInGB=props["VolumeSizeInGB"],
            Tags=props.get("Tags", []),
        )
    for logical_id, props in _of_type(stack, "AWS::S3::Bucket"):
        bucket = resolve.physical[logical_id]
        rules = props.get("LifecycleConfiguration", {}).get("Rules")
        if rules:
            s3.put_bucket_lifecycle_configuration(
                Bucket=bucket,
                LifecycleConfiguration={"Rules": [_lifecycle_rule(r) for r in rules]},
            )
        if "LoggingConfiguration" in props:
            logging = props["LoggingConfiguration"]
            s3.put_bucket_logging(
                Bucket=bucket,
                BucketLoggingStatus={
                    "LoggingEnabled": {
                        "TargetBucket": resolve(logging["DestinationBucketName"]),
                        "TargetPrefix": logging.get("LogFilePrefix", ""),
                    }
                },
            )
    for _, props in _of_type(stack, "AWS::SNS::TopicPolicy"):
        for topic in resolve(props["Topics"]):
            client("sns").set_topic_attributes(
                TopicArn=topic,
                AttributeName="Policy",
                AttributeValue=json.dumps(resolve(props["PolicyDocument"])),
            )
    for _, props in _of_type(stack, "AWS::SNS::Subscription"):
        client("sns").subscribe(
            TopicArn=resolve(props["TopicArn"]),
            Protocol=props["Protocol"],
            Endpoint=props["Endpoint"],
        )
    for logical_id, props in _of_type(stack, "AWS::Config::ConfigurationRecorder"):
        config = client("config")
        group = props.get("RecordingGroup", {})
        name = f"{stack.stack.stack_name}-{logical_id}-{CONFIG_RULE_SUFFIX}"
        config.put_configuration_recorder(
            ConfigurationRecorder={
                "name": name,
                "roleARN": resolve(props["RoleARN"]),
                "recordingGroup": {
                    "allSupported": group.get("AllSupported", False),
                    "includeGlobalResourceTypes": group.get("IncludeGlobalResourceTypes", False),
                },
            }
        )
        for _, channel in _of_type(stack, "AWS::Config::DeliveryChannel"):
            config.put_delivery_channel(
                DeliveryChannel={"name": name, "s3BucketName": resolve(channel["S3BucketName"])}
            )
        config.start_configuration_recorder(ConfigurationRecorderName=name)
    for _, props in _of_type(stack, "AWS::Athena::WorkGroup"):
        client("athena").create_work_group(
            Name=props["Name"],
            Description=props.get("Description", ""),
            Configuration=resolve(props["WorkGroupConfiguration"]),
        )


# --- the module fixtures ------------------------------------------------------------------------


def _accounts(room: str, prod: str) -> dict[str, str]:
    return {EXAMPLE_ROOM_ACCOUNT: room, EXAMPLE_PROD_ACCOUNT: prod}


@pytest.fixture(scope="session")
def clients(moto_endpoint: str) -> ClientFactory:  # noqa: F811
    return audit_client_factory(moto_endpoint)


@pytest.fixture(scope="session")
def room_copy(
    example_app: App,
    aws_client: Callable[..., Any],  # noqa: F811
    clients: ClientFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> DeployedCopy:
    """Both stacks of the example, in accounts 333333333333 (room) and 444444444444 (prod)."""
    assembly = copy_assembly(
        Path(example_app.outdir),
        tmp_path_factory.mktemp("audit") / "cdk.out",
        _accounts(ROOM_ACCOUNT, PROD_ACCOUNT),
    )
    return deploy_copy(aws_client, clients, assembly, ["DataRoomStack", "ProductionAccessStack"])


@pytest.fixture(scope="session")
def spare_room_copy(
    example_app: App,
    aws_client: Callable[..., Any],  # noqa: F811
    clients: ClientFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> DeployedCopy:
    """The room stack alone, in 555555555555, for tampering that cannot be undone."""
    assembly = copy_assembly(
        Path(example_app.outdir),
        tmp_path_factory.mktemp("audit-spare") / "cdk.out",
        _accounts(SPARE_ROOM_ACCOUNT, SPARE_PROD_ACCOUNT),
    )
    return deploy_copy(aws_client, clients, assembly, ["DataRoomStack"])


@pytest.fixture(scope="session")
def cli_copy(
    example_app: App,
    aws_client: Callable[..., Any],  # noqa: F811
    clients: ClientFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> DeployedCopy:
    """The production stack in moto's default account (where the CLI's clients land).

    Renamed throughout (room, roles, trail, stack), so nothing else using the default account
    (the remediation tests do) meets it. The room stack stays in the assembly, in an account no credentials
    are for: the CLI must skip it.
    """
    replacements = {
        EXAMPLE_PROD_ACCOUNT: MOTO_DEFAULT_ACCOUNT,
        EXAMPLE_ROOM_ACCOUNT: FOREIGN_ACCOUNT,
        "abnormal-process-exec": "audit-cli-room",
        "dataroom-production-reads": "dataroom-audit-cli-reads",
        "dataroom-production-access": "dataroom-audit-cli-production",
    }
    assembly = copy_assembly(
        Path(example_app.outdir), tmp_path_factory.mktemp("audit-cli") / "cdk.out", replacements
    )
    return deploy_copy(aws_client, clients, assembly, ["ProductionAccessStack"])
