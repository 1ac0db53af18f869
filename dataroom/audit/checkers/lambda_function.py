"""Lambda functions (MON-4 for the remediation that answers alerts): the function exists and can
run: no reserved concurrency of 0 (which throttles every invocation) nor another than declared."""

from __future__ import annotations

from typing import Any

from dataroom.audit.context import StackAudit
from dataroom.audit.errors import error_code
from dataroom.audit.findings import Status
from dataroom.audit.registry import Checker
from dataroom.audit.resolver import DeployedResource


def check_function(
    audit: StackAudit, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
) -> None:
    """Exists; reserved concurrency as declared (and never 0)."""
    if deployed is None:
        return
    kind, name = "AWS::Lambda::Function", deployed.physical_id
    target = (logical_id, name, kind)
    client = audit.clients("lambda")
    found = audit.fetch(
        "MON-4",
        target,
        lambda: client.get_function_configuration(FunctionName=name),
        lambda e: error_code(e) == "ResourceNotFoundException",
        what=f"function {name}",
    )
    if found is None:
        return

    def concurrency() -> tuple[str, str, Status]:
        want = props.get("ReservedConcurrentExecutions")
        have = client.get_function_concurrency(FunctionName=name).get(
            "ReservedConcurrentExecutions"
        )
        expected = f"{want} reserved" if want is not None else "unreserved (account pool)"
        actual = f"{have} reserved" if have is not None else "unreserved (account pool)"
        if have is not None and int(have) == 0:
            return expected, "0 reserved: every invocation is throttled", "drift"
        same = (want is None and have is None) or (
            want is not None and have is not None and int(want) == int(have)
        )
        return expected, actual, "ok" if same else "drift"

    audit.run("MON-4", target, "reserved concurrency", concurrency)


CHECKER = Checker("AWS::Lambda::Function", "MON-4", check_function)
