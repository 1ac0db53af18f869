"""The room's Athena workgroup (QRY-1): enabled, its settings enforced, the cut-off per query no
larger than the template's, results encrypted into the room."""

from __future__ import annotations

from typing import Any

from dataroom.audit.context import StackAudit, equal, flag, key_id_of
from dataroom.audit.errors import error_code
from dataroom.audit.findings import Status
from dataroom.audit.registry import Checker
from dataroom.audit.resolver import DeployedResource


def locate_workgroup(audit: StackAudit, logical_id: str, props: dict[str, Any]) -> str | None:
    """A workgroup's name is its physical id."""
    del logical_id
    return audit.resolver.resolve_str(props["Name"]) if "Name" in props else None


def check_workgroup(
    audit: StackAudit, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
) -> None:
    """Enabled, enforced, cut off, encrypted into the room."""
    kind = "AWS::Athena::WorkGroup"
    name = deployed.physical_id if deployed else locate_workgroup(audit, logical_id, props)
    if name is None:
        audit.add("QRY-1", logical_id, "", kind, "exists", "a workgroup", "unnamed", "unverifiable")
        return
    target = (logical_id, name, kind)
    athena = audit.clients("athena")
    group = audit.fetch(
        "QRY-1",
        target,
        lambda: athena.get_work_group(WorkGroup=name)["WorkGroup"],
        lambda e: error_code(e) in ("InvalidRequestException", "ResourceNotFoundException"),
        what=f"workgroup {name}",
    )
    if group is None:
        return
    want = audit.resolver.resolve(props.get("WorkGroupConfiguration", {}))
    have: dict[str, Any] = group.get("Configuration", {})
    audit.run(
        "QRY-1", target, "state", lambda: equal(str(props.get("State", "ENABLED")), group["State"])
    )
    audit.run(
        "QRY-1",
        target,
        "settings enforced",
        lambda: flag(
            bool(want.get("EnforceWorkGroupConfiguration", True)),
            bool(have.get("EnforceWorkGroupConfiguration", False)),
        ),
    )
    if "BytesScannedCutoffPerQuery" in want:

        def cutoff() -> tuple[str, str, Status]:
            limit = int(want["BytesScannedCutoffPerQuery"])
            actual = have.get("BytesScannedCutoffPerQuery")
            if actual is None:
                return f"at most {limit} bytes", "no cut-off", "drift"
            return (
                f"at most {limit} bytes",
                f"{int(actual)} bytes",
                "ok" if int(actual) <= limit else "drift",
            )

        audit.run("QRY-1", target, "bytes scanned cut-off per query", cutoff)
    want_results = want.get("ResultConfiguration", {})
    have_results = have.get("ResultConfiguration", {})
    if "OutputLocation" in want_results:
        audit.run(
            "QRY-1",
            target,
            "results location",
            lambda: equal(
                str(want_results["OutputLocation"]), str(have_results.get("OutputLocation"))
            ),
        )
    want_encryption = want_results.get("EncryptionConfiguration", {})
    if want_encryption:

        def encryption() -> tuple[str, str, Status]:
            have_encryption = have_results.get("EncryptionConfiguration", {})
            option = str(have_encryption.get("EncryptionOption", "none"))
            key = str(have_encryption.get("KmsKey", ""))
            expected = str(want_encryption.get("EncryptionOption"))
            if want_encryption.get("KmsKey"):
                expected += f" with key {key_id_of(str(want_encryption['KmsKey']))}"
            actual = option + (f" with key {key_id_of(key)}" if key else "")
            return expected, actual, "ok" if actual == expected else "drift"

        audit.run("QRY-1", target, "results encryption", encryption)


CHECKER = Checker(
    "AWS::Athena::WorkGroup",
    "QRY-1",
    check_workgroup,
    finds_unlisted=True,
    locate=locate_workgroup,
)
