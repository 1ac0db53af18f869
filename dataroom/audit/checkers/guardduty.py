"""GuardDuty detectors (MON-3): enabled, publishing fast enough, every feature on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from dataroom.audit.context import StackAudit, equal
from dataroom.audit.errors import UnverifiableError, describe_error, error_code, raise_if_fatal
from dataroom.audit.findings import Status
from dataroom.audit.registry import Checker
from dataroom.audit.resolver import DeployedResource
from dataroom.baseline import FREQUENCIES


def check_detector(
    audit: StackAudit, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
) -> None:
    control, kind = "MON-3", "AWS::GuardDuty::Detector"
    guardduty = audit.clients("guardduty")
    try:
        detector_id = deployed.physical_id if deployed else audit.locate(logical_id)
    except (ClientError, BotoCoreError) as exc:
        raise_if_fatal(exc)
        reason = describe_error(exc) if isinstance(exc, ClientError) else str(exc)
        audit.add(control, logical_id, "", kind, "exists", "a detector", reason, "unverifiable")
        return
    if detector_id is None:
        audit.add(control, logical_id, "", kind, "exists", "a detector", "no detector", "missing")
        return
    target = (logical_id, detector_id, kind)
    detector = audit.fetch(
        control,
        target,
        lambda: guardduty.get_detector(DetectorId=detector_id),
        lambda e: error_code(e) in ("BadRequestException", "ResourceNotFoundException"),
        what=f"detector {detector_id}",
    )
    if detector is None:
        return
    audit.run(
        control,
        target,
        "enabled",
        lambda: equal(
            "ENABLED" if props.get("Enable", True) else "DISABLED",
            str(detector.get("Status", "")),
        ),
    )

    def frequency() -> tuple[str, str, Status]:
        want = str(
            props.get("FindingPublishingFrequency")
            or audit.baseline.guardduty.finding_publishing_frequency
        )
        have = str(detector.get("FindingPublishingFrequency", ""))
        if have not in FREQUENCIES:
            return f"{want} or faster", have or "not returned", "drift"
        faster = FREQUENCIES.index(have) <= FREQUENCIES.index(want)
        return f"{want} or faster", have, "ok" if faster else "drift"

    audit.run(control, target, "finding publishing frequency", frequency)

    wanted: dict[str, set[str]] = {}  # feature -> its additional configurations
    for feature in props.get("Features", []):
        if feature.get("Status") == "ENABLED":
            extra = {
                str(c["Name"])
                for c in feature.get("AdditionalConfiguration", [])
                if c.get("Status") == "ENABLED"
            }
            wanted.setdefault(str(feature["Name"]), set()).update(extra)
    for baseline_feature in audit.baseline.guardduty.features:
        wanted.setdefault(baseline_feature, set())
    for name, configurations in wanted.items():
        for configuration in ("", *sorted(configurations)):

            def feature(n: str = name, c: str = configuration) -> tuple[str, str, Status]:
                return feature_status(detector, n, c)

            audit.run(control, target, f"feature {name} {configuration}".strip(), feature)


def feature_status(
    detector: Mapping[str, Any], name: str, configuration: str = ""
) -> tuple[str, str, Status]:
    if "Features" not in detector:
        # Older endpoints (and some emulators) answer without features: not a pass.
        raise UnverifiableError("the endpoint returned no Features for the detector", "ENABLED")
    features = {str(f.get("Name")): f for f in detector["Features"]}
    feature = features.get(name)
    if feature is None:
        return "ENABLED", "absent", "drift"
    if not configuration:
        return equal("ENABLED", str(feature.get("Status")))
    configurations = {
        str(c.get("Name")): str(c.get("Status")) for c in feature.get("AdditionalConfiguration", [])
    }
    return equal("ENABLED", configurations.get(configuration, "absent"))


CHECKER = Checker("AWS::GuardDuty::Detector", "MON-3", check_detector, finds_unlisted=True)
