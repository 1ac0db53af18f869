"""S3 buckets (S3-1..S3-4 in a room, MON-2 in production): encryption, versioning, expiry,
access logging, public access, ownership, object lock and policy."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from dataroom.audit.context import StackAudit, equal, key_id_of
from dataroom.audit.errors import UnresolvableError, error_code
from dataroom.audit.expectations import PUBLIC_ACCESS_FLAGS
from dataroom.audit.findings import Status
from dataroom.audit.policy import parse_policy
from dataroom.audit.registry import Checker
from dataroom.audit.resolver import DeployedResource


def check_bucket(
    audit: StackAudit, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
) -> None:
    if deployed is None:  # only checkers that find unlisted resources get none
        return
    kind, bucket = "AWS::S3::Bucket", deployed.physical_id
    target = (logical_id, bucket, kind)
    s3 = audit.clients("s3")
    room = audit.room

    def control(room_control: str) -> str:
        return room_control if room else "MON-2"

    found = audit.fetch(
        control("S3-1"),
        target,
        lambda: s3.head_bucket(Bucket=bucket),
        lambda e: error_code(e) in ("404", "NoSuchBucket", "NotFound"),
        what=f"bucket {bucket}",
    )
    if found is None:
        return

    encryption = props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration")
    if encryption:
        audit.run(
            control("S3-2"),
            target,
            "default encryption",
            lambda: _bucket_encryption(audit, bucket, encryption[0]),
        )
    if props.get("VersioningConfiguration", {}).get("Status") == "Enabled":

        def versioning() -> tuple[str, str, Status]:
            status = s3.get_bucket_versioning(Bucket=bucket).get("Status")
            return equal("Enabled", str(status or "never enabled"))

        audit.run(control("S3-1"), target, "versioning", versioning)
    if "PublicAccessBlockConfiguration" in props:
        audit.run(
            control("S3-3"),
            target,
            "public access block",
            lambda: _public_access_block(audit, bucket, props["PublicAccessBlockConfiguration"]),
        )
    ownership_rules = props.get("OwnershipControls", {}).get("Rules", [])
    if ownership_rules:
        want_ownership = str(ownership_rules[0].get("ObjectOwnership"))

        def ownership() -> tuple[str, str, Status]:
            try:
                rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
            except ClientError as exc:
                if error_code(exc) != "OwnershipControlsNotFoundError":
                    raise
                return want_ownership, "no ownership controls", "drift"
            have = ", ".join(str(r.get("ObjectOwnership")) for r in rules.get("Rules", []))
            return equal(want_ownership, have)

        audit.run(control("S3-3"), target, "object ownership (ACLs disabled)", ownership)
    if props.get("ObjectLockEnabled") or "ObjectLockConfiguration" in props:
        audit.run(
            control("S3-1"),
            target,
            "object lock",
            lambda: _object_lock(audit, bucket, props.get("ObjectLockConfiguration", {})),
        )
    audit.run(control("S3-3"), target, "bucket policy", lambda: _bucket_policy(audit, bucket))
    if props.get("LifecycleConfiguration", {}).get("Rules"):
        audit.run(
            control("S3-1"),
            target,
            "lifecycle (expiry)",
            lambda: _lifecycle(audit, bucket, props["LifecycleConfiguration"]["Rules"]),
        )
    if "LoggingConfiguration" in props:
        audit.run(
            control("S3-4"),
            target,
            "access logging",
            lambda: _logging(audit, bucket, props["LoggingConfiguration"]),
        )


def _days(rule: Mapping[str, Any]) -> dict[str, int]:
    """The day counts of a lifecycle rule, as CloudFormation or the S3 API spells them."""
    out: dict[str, int] = {}
    expiration = rule.get("Expiration", {})
    if "ExpirationInDays" in rule or "Days" in expiration:
        out["expire current versions"] = int(rule.get("ExpirationInDays") or expiration["Days"])
    noncurrent = rule.get("NoncurrentVersionExpiration", {})
    if "NoncurrentDays" in noncurrent or "NoncurrentVersionExpirationInDays" in rule:
        out["expire noncurrent versions"] = int(
            noncurrent.get("NoncurrentDays") or rule["NoncurrentVersionExpirationInDays"]
        )
    abort = rule.get("AbortIncompleteMultipartUpload", {})
    if "DaysAfterInitiation" in abort:
        out["abort incomplete uploads"] = int(abort["DaysAfterInitiation"])
    return out


def _lifecycle(
    audit: StackAudit, bucket: str, template_rules: list[dict[str, Any]]
) -> tuple[str, str, Status]:
    """Each enabled template rule still runs, expiring no later than the template says."""
    want: dict[str, int] = {}
    for rule in template_rules:
        if rule.get("Status") == "Enabled":
            for what, days in _days(rule).items():
                want[what] = min(days, want.get(what, days))
    expected = ", ".join(f"{k} after {v} days" for k, v in sorted(want.items())) or "none"
    try:
        rules = audit.clients("s3").get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    except ClientError as exc:
        if error_code(exc) != "NoSuchLifecycleConfiguration":
            raise
        return expected, "no lifecycle configuration", "drift"
    have: dict[str, int] = {}
    for rule in rules:
        # Only whole-bucket rules count: a filtered rule expires part of the data.
        filtered = (
            rule.get("Filter", {}).get("Prefix")
            or rule.get("Prefix")
            or any(k in rule.get("Filter", {}) for k in ("Tag", "And", "ObjectSizeGreaterThan"))
        )
        if rule.get("Status") == "Enabled" and not filtered:
            for what, days in _days(rule).items():
                have[what] = min(days, have.get(what, days))
    late = [
        f"{what} after {have[what]} days" if what in have else f"no {what}"
        for what, days in sorted(want.items())
        if what not in have or have[what] > days
    ]
    # Data the template keeps (retained results) must not expire, even in part.
    added = sorted(
        f"{what} after {days} days ({rule.get('ID', 'unnamed rule')})"
        for rule in rules
        if rule.get("Status") == "Enabled"
        for what, days in _days(rule).items()
        if what != "abort incomplete uploads" and what not in want
    )
    if late or added:
        return expected, ", ".join([*late, *(f"added: {a}" for a in added)]), "drift"
    return expected, ", ".join(f"{k} after {v} days" for k, v in sorted(have.items())), "ok"


def _logging(
    audit: StackAudit, bucket: str, template_logging: Mapping[str, Any]
) -> tuple[str, str, Status]:
    """Server access logs still go to the template's log bucket and prefix."""
    want_bucket = audit.resolver.resolve_str(template_logging.get("DestinationBucketName", bucket))
    want_prefix = str(template_logging.get("LogFilePrefix", ""))
    expected = f"s3://{want_bucket}/{want_prefix}"
    enabled = audit.clients("s3").get_bucket_logging(Bucket=bucket).get("LoggingEnabled")
    if not enabled:
        return expected, "access logging off", "drift"
    actual = f"s3://{enabled.get('TargetBucket')}/{enabled.get('TargetPrefix', '')}"
    return expected, actual, "ok" if actual == expected else "drift"


def _bucket_encryption(
    audit: StackAudit, bucket: str, rule: Mapping[str, Any]
) -> tuple[str, str, Status]:
    default = audit.resolver.resolve(rule.get("ServerSideEncryptionByDefault", {}))
    want_algorithm = str(default.get("SSEAlgorithm", ""))
    want_key = default.get("KMSMasterKeyID")
    expected = want_algorithm + (f" with key {audit.key_id(str(want_key))}" if want_key else "")
    try:
        config = audit.clients("s3").get_bucket_encryption(Bucket=bucket)
    except ClientError as exc:
        if error_code(exc) != "ServerSideEncryptionConfigurationNotFoundError":
            raise
        return expected, "no default encryption", "drift"
    rules = config["ServerSideEncryptionConfiguration"]["Rules"]
    have_default = rules[0].get("ApplyServerSideEncryptionByDefault", {}) if rules else {}
    have_algorithm = str(have_default.get("SSEAlgorithm", ""))
    have_key = have_default.get("KMSMasterKeyID")
    actual = have_algorithm + (f" with key {key_id_of(str(have_key))}" if have_key else "")
    same = have_algorithm == want_algorithm and (
        not want_key
        or (have_key is not None and audit.key_id(str(have_key)) == audit.key_id(str(want_key)))
    )
    return expected, actual or "none", "ok" if same else "drift"


def _public_access_block(
    audit: StackAudit, bucket: str, template_block: Mapping[str, Any]
) -> tuple[str, str, Status]:
    want = {flag for flag in PUBLIC_ACCESS_FLAGS if template_block.get(flag)}
    expected = ", ".join(sorted(want)) + " on"
    try:
        block = audit.clients("s3").get_public_access_block(Bucket=bucket)
    except ClientError as exc:
        if error_code(exc) != "NoSuchPublicAccessBlockConfiguration":
            raise
        return expected, "no public access block", "drift"
    config = block["PublicAccessBlockConfiguration"]
    off = sorted(flag for flag in want if not config.get(flag))
    if off:
        return expected, "off: " + ", ".join(off), "drift"
    return expected, "all on", "ok"


def _object_lock(
    audit: StackAudit, bucket: str, template_lock: Mapping[str, Any]
) -> tuple[str, str, Status]:
    retention = template_lock.get("Rule", {}).get("DefaultRetention", {})
    want_mode = retention.get("Mode")
    want_days = int(retention.get("Days", 0))
    if _is_trail_bucket(audit, bucket):
        # The baseline's floor for the bucket a trail writes to.
        want_days = max(want_days, audit.baseline.trail.object_lock_days)
    expected = "Enabled" + (f", {want_mode} {want_days} days" if want_mode else "")
    try:
        lock = audit.clients("s3").get_object_lock_configuration(Bucket=bucket)
    except ClientError as exc:
        if error_code(exc) != "ObjectLockConfigurationNotFoundError":
            raise
        return expected, "no object lock", "drift"
    config = lock["ObjectLockConfiguration"]
    have = config.get("Rule", {}).get("DefaultRetention", {})
    have_days = int(have.get("Days") or 0) + 365 * int(have.get("Years") or 0)
    actual = f"{config.get('ObjectLockEnabled')}, {have.get('Mode')} {have_days} days"
    same = config.get("ObjectLockEnabled") == "Enabled" and (
        not want_mode or (have.get("Mode") == want_mode and have_days >= want_days)
    )
    return expected, actual, "ok" if same else "drift"


def _is_trail_bucket(audit: StackAudit, bucket: str) -> bool:
    for resource in audit.resources.values():
        if resource.get("Type") == "AWS::CloudTrail::Trail":
            try:
                name = audit.resolver.resolve(resource["Properties"].get("S3BucketName"))
            except UnresolvableError:
                continue
            if name == bucket:
                return True
    return False


def _bucket_policy(audit: StackAudit, bucket: str) -> tuple[str, str, Status]:
    template_policies = [
        resource["Properties"]["PolicyDocument"]
        for resource in audit.resources.values()
        if resource.get("Type") == "AWS::S3::BucketPolicy"
        and audit.resolver.resolve(resource["Properties"].get("Bucket")) == bucket
    ]
    try:
        actual: Any = audit.clients("s3").get_bucket_policy(Bucket=bucket)["Policy"]
    except ClientError as exc:
        if error_code(exc) != "NoSuchBucketPolicy":
            raise
        actual = None
    if not template_policies:
        if actual is None:
            return "no bucket policy", "none", "ok"
        return "no bucket policy", f"a policy: {json.dumps(parse_policy(actual))}", "drift"
    return audit.policy(template_policies[0], actual)


CHECKER = Checker("AWS::S3::Bucket", "S3-1", check_bucket)
