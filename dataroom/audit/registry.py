"""What a checker is: one per resource type, registered in ``checkers/catalog.py``.

Like the nag rules (one file per rule, a catalogue listing them), each module of
``dataroom/audit/checkers/`` defines its :class:`Checker` objects and the catalogue lists them.
The audit of a stack calls the checker of each template resource's type; a type without one is
not judged on its own (a bucket policy is judged through its bucket, a domain list through the
DNS firewall association).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dataroom.audit.context import StackAudit
from dataroom.audit.resolver import DeployedResource

#: ``check(audit, logical_id, properties, deployed)``; ``deployed`` is ``None`` when
#: CloudFormation does not list the resource and the checker ``finds_unlisted`` ones.
CheckFunction = Callable[[StackAudit, str, dict[str, Any], DeployedResource | None], None]
#: ``locate(audit, logical_id, properties)``: the physical id of an unlisted resource.
LocateFunction = Callable[[StackAudit, str, dict[str, Any]], str | None]


@dataclass(frozen=True)
class Checker:
    """How the audit judges the deployed resources of one CloudFormation type."""

    resource_type: str
    #: The control of the resource's "exists" finding (each check names its own).
    control: str
    check: CheckFunction
    #: Some engines (moto) leave resources of this type unlisted: the checker finds them
    #: itself (by name, by what identifies them) instead of reporting them missing.
    finds_unlisted: bool = False
    locate: LocateFunction | None = None
