"""Resolve CloudFormation intrinsics in a synthesized policy to concrete names, for evaluation.

A deployed stack gives every resource a physical name; here each one gets a stable stand-in
derived from its logical id and type, so that a policy, the bucket policy it meets and the
request all name the same resource. Only what our policies use is supported; anything else
raises, so a test never evaluates a half-resolved policy.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnElement, Stack


class Resolver:
    def __init__(self, template: dict[str, Any], *, account: str, region: str) -> None:
        self.resources: dict[str, dict[str, Any]] = template["Resources"]
        self.account = account
        self.region = region

    def ref(self, logical_id: str) -> str:
        pseudo = {
            "AWS::Partition": "aws",
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::URLSuffix": "amazonaws.com",
        }
        if logical_id in pseudo:
            return pseudo[logical_id]
        kind = self.resources[logical_id]["Type"]
        properties = self.resources[logical_id].get("Properties", {})
        if kind == "AWS::SNS::Topic":
            return f"arn:aws:sns:{self.region}:{self.account}:{logical_id}"
        if kind == "AWS::SSM::Parameter":
            return str(self.resolve(properties["Name"]))
        if kind == "AWS::IAM::Role":
            return str(properties.get("RoleName", logical_id))
        if kind == "AWS::DynamoDB::Table":
            return str(properties.get("TableName", logical_id.lower()))
        if kind == "AWS::StepFunctions::StateMachine":
            name = properties.get("StateMachineName", logical_id)
            return f"arn:aws:states:{self.region}:{self.account}:stateMachine:{name}"
        prefixes = {"AWS::EC2::VPC": "vpc-", "AWS::EC2::VPCEndpoint": "vpce-"}
        name = f"{prefixes.get(kind, '')}{logical_id.lower()}"
        return name

    def get_att(self, logical_id: str, attribute: str) -> str:
        kind = self.resources[logical_id]["Type"]
        if kind == "AWS::EC2::VPC" and attribute == "DefaultSecurityGroup":
            return f"sg-default-{logical_id.lower()}"
        if attribute != "Arn":
            raise ValueError(f"unsupported attribute {logical_id}.{attribute}")
        name = self.ref(logical_id)
        arns = {
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
            "AWS::IAM::Role": f"arn:aws:iam::{self.account}:role/{name}",
            "AWS::Logs::LogGroup": (
                f"arn:aws:logs:{self.region}:{self.account}:log-group:{name}:*"
            ),
            "AWS::SQS::Queue": f"arn:aws:sqs:{self.region}:{self.account}:{name}",
            "AWS::KMS::Key": f"arn:aws:kms:{self.region}:{self.account}:key/{name}",
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{self.region}:{self.account}:table/{name}",
            "AWS::Lambda::Function": (
                f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"
            ),
        }
        if kind not in arns:
            raise ValueError(f"unsupported Fn::GetAtt of {kind}")
        return arns[kind]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self.ref(value["Ref"])
        if set(value) == {"Fn::GetAtt"}:
            return self.get_att(*value["Fn::GetAtt"])
        if set(value) == {"Fn::Join"}:
            separator, parts = value["Fn::Join"]
            return separator.join(str(self.resolve(part)) for part in parts)
        if any(key.startswith("Fn::") for key in value):
            raise ValueError(f"unsupported intrinsic {sorted(value)}")
        return {key: self.resolve(item) for key, item in value.items()}


def logical_id(stack: Stack, construct: Any) -> str:
    """The logical id of ``construct`` in ``stack``: an L1 itself, an L2 through its resource."""
    element = construct if isinstance(construct, CfnElement) else construct.node.default_child
    return str(stack.get_logical_id(element))


def policy_document(stack: Stack, resolver: Resolver, construct: Any) -> dict[str, Any]:
    """The resolved ``PolicyDocument`` of a policy construct (managed, inline, bucket...)."""
    properties = resolver.resources[logical_id(stack, construct)]["Properties"]
    return resolver.resolve(properties["PolicyDocument"])  # type: ignore[no-any-return]
