"""Storage control facts (S3-1 .. S3-4): defined here once. jsii-free; the remediation function's
code receives them through its environment (it ships without this package)."""

from __future__ import annotations

#: The S3 public access block flags, as CloudFormation and the S3 API both spell them (S3-3).
PUBLIC_ACCESS_FLAGS: tuple[str, ...] = (
    "BlockPublicAcls",
    "BlockPublicPolicy",
    "IgnorePublicAcls",
    "RestrictPublicBuckets",
)
#: The object ownership setting that disables ACLs (S3-3).
ACLS_DISABLED = "BucketOwnerEnforced"
#: Server-side encryption algorithms that use a KMS key (S3-2).
KMS_ALGORITHMS: tuple[str, ...] = ("aws:kms", "aws:kms:dsse")
#: The only object-lock mode no principal (root included) can shorten (MON-1).
OBJECT_LOCK_MODE = "COMPLIANCE"
#: Resources that keep evidence or results and must survive teardown (S3-1, MON-1).
RETAINED_TYPES: tuple[str, ...] = ("AWS::S3::Bucket", "AWS::Logs::LogGroup", "AWS::KMS::Key")
