"""Template values computed against a deployed stack: ``Ref``, ``Fn::GetAtt``, ``Fn::Join``, ..."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dataroom.audit.errors import UnresolvableError


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
                "AWS::DynamoDB::Table": f"arn:{p}:dynamodb:{r}:{a}:table/{physical}",
                "AWS::SNS::Topic": physical,
                "AWS::Lambda::Function": f"arn:{p}:lambda:{r}:{a}:function:{physical}",
                "AWS::Events::Rule": f"arn:{p}:events:{r}:{a}:rule/{physical}",
                "AWS::CloudTrail::Trail": f"arn:{p}:cloudtrail:{r}:{a}:trail/{physical}",
                "AWS::IAM::User": f"arn:{p}:iam::{a}:user/{physical}",
                "AWS::IAM::ManagedPolicy": physical,
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
            ("AWS::Route53Resolver::FirewallDomainList", "Id"),
            ("AWS::Route53Resolver::FirewallRuleGroup", "Id"),
            ("AWS::Route53Resolver::FirewallRuleGroupAssociation", "Id"),
            ("AWS::Athena::WorkGroup", "Name"),
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
