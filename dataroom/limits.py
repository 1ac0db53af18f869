"""StackLimits: synthesis fails early when a stack nears a CloudFormation limit.

CloudFormation refuses a stack of more than 500 resources, 200 outputs, or a template above
1 MB (read from S3; 51,200 bytes in a request body, which is why ``cdk deploy`` uploads
templates to the bootstrap bucket). A fleet meets them in the one stack every room adds to (the
production stack: a read role, its policy and an output per room), at deploy time, halfway
through a wave. This validation plugin reads the synthesized templates and refuses a stack that
crosses a threshold below each limit, with the stack, the figure and the limit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import jsii
from aws_cdk import (
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
)

#: CloudFormation's quotas (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
MAX_RESOURCES = 500
MAX_OUTPUTS = 200
#: CloudFormation documents 1 MB; aws-cdk-lib's own check counts 1,000,000 bytes.
MAX_TEMPLATE_BYTES = 1_000_000
MAX_TEMPLATE_BYTES_IN_REQUEST = 51_200
PLUGIN_NAME = "DataRoomLimits"


@dataclass(frozen=True)
class Figures:
    """What one template weighs against the limits."""

    template: Path
    resources: int
    outputs: int
    size: int
    first_resource: str


def measure(template_path: str | Path) -> Figures:
    """Count a synthesized template's resources and outputs and its size on disk."""
    path = Path(template_path)
    raw = path.read_bytes()
    template = json.loads(raw)
    resources = template.get("Resources", {})
    return Figures(
        template=path,
        resources=len(resources),
        outputs=len(template.get("Outputs", {})),
        size=len(raw),
        first_resource=next(iter(resources), ""),
    )


@jsii.implements(IPolicyValidationPlugin)
class StackLimits:
    """Fails synthesis when a template nears CloudFormation's quotas (before any deploy).

    :param max_resources: refuse above this many resources. Default 450 (quota 500).
    :param max_outputs: refuse above this many outputs. Default 180 (quota 200).
    :param max_template_bytes: refuse above this size. Default 900,000 bytes (quota 1 MB via S3).
    """

    def __init__(
        self,
        *,
        max_resources: int = 450,
        max_outputs: int = 180,
        max_template_bytes: int = 900_000,
    ) -> None:
        self._max_resources = max_resources
        self._max_outputs = max_outputs
        self._max_bytes = max_template_bytes

    @property
    def name(self) -> str:
        return PLUGIN_NAME

    @property
    def version(self) -> str | None:
        return None

    @property
    def rule_ids(self) -> list[str] | None:
        return ["StackResources", "StackOutputs", "TemplateSize"]

    def findings(self, figures: Figures) -> list[tuple[str, str]]:
        """``(rule, description)`` for each threshold ``figures`` crosses."""
        out = []
        name = figures.template.name
        if figures.resources > self._max_resources:
            out.append(
                (
                    "StackResources",
                    f"{name}: {figures.resources} resources, above {self._max_resources} "
                    f"(CloudFormation refuses more than {MAX_RESOURCES}); split the stack, e.g. "
                    "fewer rooms per manifest or per production stack",
                )
            )
        if figures.outputs > self._max_outputs:
            out.append(
                (
                    "StackOutputs",
                    f"{name}: {figures.outputs} outputs, above {self._max_outputs} "
                    f"(CloudFormation refuses more than {MAX_OUTPUTS})",
                )
            )
        if figures.size > self._max_bytes:
            out.append(
                (
                    "TemplateSize",
                    f"{name}: {figures.size} bytes, above {self._max_bytes} (CloudFormation "
                    f"refuses a template above {MAX_TEMPLATE_BYTES} bytes from S3)",
                )
            )
        return out

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        violations = []
        for template_path in context.template_paths:
            figures = measure(template_path)
            for rule, description in self.findings(figures):
                violations.append(
                    PolicyViolation(
                        rule_name=rule,
                        description=description,
                        severity="error",
                        violating_resources=[
                            PolicyViolatingResource(
                                # The finding is the stack's; it is reported on its first
                                # resource, as the report needs one.
                                resource_logical_id=figures.first_resource,
                                template_path=str(template_path),
                                locations=["Resources"],
                            )
                        ],
                    )
                )
        return PolicyValidationPluginReport(success=not violations, violations=violations)
