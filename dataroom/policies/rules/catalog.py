"""Every rule of the DataRoomChecks pack, in report order."""

from __future__ import annotations

from dataroom.policies.rules import (
    chg4_no_plain_priors,
    drf2_log_retention,
    drf2_region,
    iam1_read_role_trust,
    iam3_read_role_read_only,
    iam5_boundary,
    iam5_no_standing_identity,
    mon1_trail,
    mon3_detector,
    mon4_alert_severity,
    mon4_alerts_delivered,
    mon4_room_monitoring,
    mon5_config_recorder,
    mon5_config_rules,
    net1_no_internet_path,
    net2_endpoint_security_group,
    net3_endpoint_perimeter,
    net5_flow_logs,
    net6_dns_firewall,
    qry1_query_guard,
    s31_bucket_versioning,
    s31_retained,
    s32_customer_key,
    s32_key_rotation,
    s33_public_access_blocked,
    s33_tls_only,
    s34_access_logging,
    s34_key_policy_account,
)
from dataroom.policies.rules.base import Rule

RULES: tuple[Rule, ...] = (
    net1_no_internet_path.RULE,
    net2_endpoint_security_group.RULE,
    net3_endpoint_perimeter.RULE,
    net5_flow_logs.RULE,
    net6_dns_firewall.RULE,
    s32_customer_key.RULE,
    s32_key_rotation.RULE,
    s33_public_access_blocked.RULE,
    s33_tls_only.RULE,
    s31_retained.RULE,
    s31_bucket_versioning.RULE,
    s34_access_logging.RULE,
    s34_key_policy_account.RULE,
    iam1_read_role_trust.RULE,
    iam3_read_role_read_only.RULE,
    iam5_boundary.RULE,
    iam5_no_standing_identity.RULE,
    mon1_trail.RULE,
    mon3_detector.RULE,
    mon4_alert_severity.RULE,
    mon4_alerts_delivered.RULE,
    mon5_config_rules.RULE,
    mon5_config_recorder.RULE,
    mon4_room_monitoring.RULE,
    qry1_query_guard.RULE,
    drf2_log_retention.RULE,
    drf2_region.RULE,
    chg4_no_plain_priors.RULE,
)
PACK_NAME = "DataRoom"
#: Rule ids whose findings fail synthesis even when acknowledged.
NEVER_SUPPRESSIBLE = frozenset(f"{PACK_NAME}-{r.rule_id}" for r in RULES if r.never_suppressible)
