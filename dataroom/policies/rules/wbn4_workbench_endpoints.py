"""WBN-4: a room with notebooks has every interface endpoint the workbench needs."""

from __future__ import annotations

from typing import Any

from dataroom.policies.rules.base import Rule, RuleContext, Verdict

#: Service-name suffixes (after the region) of the endpoints a notebook needs.
NEEDED = (
    "sagemaker.api",
    "sagemaker.runtime",
    "notebook",
    "codeartifact.api",
    "codeartifact.repositories",
    "sts",
    "logs",
)


def _text(value: Any) -> str:
    """A service name, whether a literal or CDK's ``Fn::Join`` with the region."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(
            _text(p) if not isinstance(p, dict) else "<region>" for p in parts
        )
    return ""


def _suffix(service_name: str) -> str:
    parts = service_name.split(".")
    # com.amazonaws.<region>.<service...> and aws.sagemaker.<region>.notebook
    if parts[:2] == ["aws", "sagemaker"] and parts[-1] == "notebook":
        return "notebook"
    return ".".join(parts[3:])


def check(ctx: RuleContext) -> Verdict:
    present = set()
    for _, endpoint in ctx.resources("AWS::EC2::VPCEndpoint"):
        props = endpoint.get("Properties", {})
        if props.get("VpcEndpointType") == "Interface" and props.get("PrivateDnsEnabled"):
            present.add(_suffix(_text(props.get("ServiceName"))))
    missing = [name for name in NEEDED if name not in present]
    return [f"no interface endpoint with private DNS for {name}" for name in missing]


RULE = Rule(
    rule_id="WBN4WorkbenchEndpoints",
    control="WBN-4",
    info="A notebook instance's room lacks an interface endpoint (private DNS) the workbench "
    "needs.",
    explanation="Without its endpoints a notebook cannot reach SageMaker, its package mirror or "
    "its logs from inside the glovebox, and the pressure is to give it internet access instead.",
    resource_types=frozenset({"AWS::SageMaker::NotebookInstance"}),
    check=check,
    never_suppressible=True,
)
