"""KMS keys (S3-2 in a room, MON-2 in production): enabled, rotated, policy as declared."""

from __future__ import annotations

from typing import Any

from dataroom.audit.context import StackAudit, equal, flag
from dataroom.audit.errors import UnverifiableError, error_code
from dataroom.audit.findings import Status
from dataroom.audit.registry import Checker
from dataroom.audit.resolver import DeployedResource


def check_key(
    audit: StackAudit, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
) -> None:
    if deployed is None:  # only checkers that find unlisted resources get none
        return
    kind, key_id = "AWS::KMS::Key", deployed.physical_id
    control = "S3-2" if audit.room else "MON-2"
    target = (logical_id, key_id, kind)
    kms = audit.clients("kms")
    rotation = audit.fetch(
        control,
        target,
        lambda: kms.get_key_rotation_status(KeyId=key_id),
        lambda e: error_code(e) == "NotFoundException",
        what=f"key {key_id}",
    )
    if rotation is None:
        return

    def state() -> tuple[str, str, Status]:
        metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        want = "Enabled" if props.get("Enabled", True) else "Disabled"
        return equal(want, str(metadata.get("KeyState", "")))

    audit.run(control, target, "key state", state)
    symmetric = props.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
    want_rotation = bool(props.get("EnableKeyRotation")) or (
        symmetric and audit.baseline.kms.rotation
    )
    if want_rotation:
        audit.run(
            control,
            target,
            "key rotation",
            lambda: flag(True, bool(rotation.get("KeyRotationEnabled"))),
        )

        def period() -> tuple[str, str, Status]:
            limit = int(props.get("RotationPeriodInDays") or 0) or (
                audit.baseline.kms.max_rotation_period_days
            )
            expected = f"at most {limit} days"
            if "RotationPeriodInDays" not in rotation:
                raise UnverifiableError(
                    "the endpoint does not return RotationPeriodInDays", expected
                )
            have = int(rotation["RotationPeriodInDays"])
            return expected, f"{have} days", "ok" if have <= limit else "drift"

        audit.run(control, target, "rotation period", period)
    if "KeyPolicy" in props:
        audit.run(
            control,
            target,
            "key policy",
            lambda: audit.policy(
                props["KeyPolicy"],
                kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"],
            ),
        )


CHECKER = Checker("AWS::KMS::Key", "S3-2", check_key)
