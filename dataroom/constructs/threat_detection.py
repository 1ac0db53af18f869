"""ThreatDetection: the room account's GuardDuty detector, or the one it already has (MON-3)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_guardduty as guardduty
from constructs import Construct

from dataroom.controls.monitoring import (
    ALL_GUARDDUTY_FEATURES,
    FREQUENCIES,
    REQUIRED_GUARDDUTY_FEATURE,
    RUNTIME_AGENTS,
)

#: Every detector feature a production account would have on (GuardDuty's feature names).
ALL_FEATURES = ALL_GUARDDUTY_FEATURES


class ThreatDetection(Construct):
    """A GuardDuty detector with S3 protection and every other feature on, findings every 15 min.

    An account has at most one detector per region; when the room account already has one (an
    organization's delegated administrator usually creates it), pass ``existing_detector_id`` and
    this construct creates nothing, so the deployment does not fail, and the alert rules and the
    remediation function use the existing detector.

    :param features: detector features to enable; S3 protection is required. Default: all.
    :param existing_detector_id: reuse this detector instead of creating one.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        features: Sequence[str] = ALL_FEATURES,
        existing_detector_id: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        unknown = sorted(set(features) - set(ALL_FEATURES))
        if unknown:
            raise ValueError(
                f"{self.node.path}: features={unknown}: expected some of {ALL_FEATURES}"
            )
        if REQUIRED_GUARDDUTY_FEATURE not in features:
            raise ValueError(
                f"{self.node.path}: features={list(features)}: expected "
                f"{REQUIRED_GUARDDUTY_FEATURE}; a room "
                "exists to hold production data in S3"
            )
        self.features = tuple(features)
        self.detector: guardduty.CfnDetector | None = None
        if existing_detector_id is not None:
            self.detector_id = existing_detector_id
            return
        self.detector = guardduty.CfnDetector(
            self,
            "Resource",
            enable=True,
            finding_publishing_frequency=FREQUENCIES[0],
            features=[
                guardduty.CfnDetector.CFNFeatureConfigurationProperty(
                    name=feature,
                    status="ENABLED",
                    additional_configuration=(
                        [
                            guardduty.CfnDetector.CFNFeatureAdditionalConfigurationProperty(
                                name=agent, status="ENABLED"
                            )
                            for agent in RUNTIME_AGENTS
                        ]
                        if feature == "RUNTIME_MONITORING"
                        else None
                    ),
                )
                for feature in self.features
            ],
        )
        self.detector_id = self.detector.ref
