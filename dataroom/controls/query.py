"""Query control facts (QRY-1): defined here once. jsii-free."""

from __future__ import annotations

#: Bytes in one of the manifest's ``query_limit_gb`` units (Athena counts bytes scanned).
GIB = 1024**3
#: Result encryption options that use a KMS key.
KMS_RESULT_ENCRYPTION: tuple[str, ...] = ("SSE_KMS", "CSE_KMS")
#: Template metadata (under ``dataroom.expect``) naming the cut-off the manifest asks for.
EXPECTED_CUTOFF_KEY = "athena_cutoff_bytes"
