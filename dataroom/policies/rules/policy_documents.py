"""The policy documents a template resource carries, for the PER rules. jsii-free."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from dataroom.policies.rules.base import Resource

#: Resource policies: the resource type and the property that holds the document.
RESOURCE_POLICY_PROPERTIES: dict[str, str] = {
    "AWS::KMS::Key": "KeyPolicy",
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
    "AWS::SecretsManager::ResourcePolicy": "ResourcePolicy",
    "AWS::Logs::ResourcePolicy": "PolicyDocument",
    "AWS::EC2::VPCEndpoint": "PolicyDocument",
    "AWS::S3::AccessPoint": "Policy",
    "AWS::Backup::BackupVault": "AccessPolicy",
    "AWS::ECR::Repository": "RepositoryPolicyText",
}
#: Identity policies (and boundaries): documents that apply to the roles they are attached to.
IDENTITY_POLICY_TYPES = frozenset({"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"})
#: The context keys that say which network path a request took (PER-3).
NETWORK_KEYS = frozenset(
    {"aws:sourcevpce", "aws:sourcevpc", "aws:vpceaccount", "aws:vpceorgid", "aws:vpceorgpaths"}
)


def _document(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def documents(resource: Resource) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, document) for every policy document ``resource`` carries."""
    kind = resource.get("Type", "")
    props = resource.get("Properties", {}) or {}
    if kind in RESOURCE_POLICY_PROPERTIES:
        doc = _document(props.get(RESOURCE_POLICY_PROPERTIES[kind]))
        if doc is not None:
            yield RESOURCE_POLICY_PROPERTIES[kind], doc
    elif kind in IDENTITY_POLICY_TYPES:
        doc = _document(props.get("PolicyDocument"))
        if doc is not None:
            yield "PolicyDocument", doc
    elif kind == "AWS::IAM::Role":
        for index, policy in enumerate(props.get("Policies", []) or []):
            doc = _document(policy.get("PolicyDocument")) if isinstance(policy, dict) else None
            if doc is not None:
                yield f"Policies[{index}]", doc


def condition_keys(statement: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(operator, lower-case key, value) of every condition of ``statement``."""
    condition = statement.get("Condition", {})
    if not isinstance(condition, dict):
        return
    for operator, block in condition.items():
        if isinstance(block, dict):
            for key, value in block.items():
                yield str(operator), str(key).lower(), value


def is_negated(operator: str) -> bool:
    """Whether a condition operator is a negation (``StringNotEquals``, ``ArnNotLike``, ...)."""
    return "Not" in operator.split(":")[-1]


def label(statement: dict[str, Any], index: int) -> str:
    return str(statement.get("Sid") or f"statement {index + 1}")


def literal_text(value: Any) -> str | None:
    """Literal text of a string value: ``Fn::Join`` / ``Fn::Sub`` joined, ``Ref`` of a pseudo
    parameter as ``${AWS::...}``; None when any part is another reference."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if "Fn::Join" in value:
            sep, parts = [*value["Fn::Join"], "", []][:2]
            texts = [literal_text(p) for p in (parts if isinstance(parts, list) else [parts])]
            return None if any(t is None for t in texts) else str(sep).join(map(str, texts))
        if "Fn::Sub" in value:
            body = value["Fn::Sub"]
            return literal_text(body[0] if isinstance(body, list) else body)
        ref = value.get("Ref")
        if isinstance(ref, str) and ref.startswith("AWS::"):
            return f"${{{ref}}}"
    return None


def of_account(value: Any, account: str) -> bool:
    """Whether ``value`` (an account id or an ARN, literal or joined) is of ``account``."""
    text = literal_text(value)
    if text is None:
        return False
    # Pseudo parameters hold colons (``${AWS::Partition}``): one word each before splitting.
    text = re.sub(r"\$\{AWS::(\w+)\}", lambda m: f"<{m.group(1)}>", text)
    own = {account, "<AccountId>"}
    if text in own:
        return True
    parts = text.split(":")
    return len(parts) > 5 and parts[0] == "arn" and parts[4] in own
