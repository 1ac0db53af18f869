"""AWS partitions and regions, from botocore's own data rather than a home-made pattern.

``us-east-9`` matches every region-shaped regular expression and is not a region; ``arn:awsome:``
starts like an ARN and names no partition. botocore ships the list AWS publishes
(``botocore/data/partitions.json``, ``endpoints.json`` in older releases), kept current by
upgrading boto3, so the manifest checks names against it.
"""

from __future__ import annotations

import functools
from typing import Any

from botocore.loaders import create_loader

__all__ = ["known_partitions", "known_regions", "partition_of"]


@functools.cache
def _region_partitions() -> dict[str, str]:
    loader = create_loader()
    out: dict[str, str] = {}
    try:
        data: Any = loader.load_data("partitions")
        for partition in data["partitions"]:
            for region in partition["regions"]:
                out[region] = partition["id"]
    except Exception:  # an older botocore without partitions.json: endpoints.json has them too
        data = loader.load_data("endpoints")
        for partition in data["partitions"]:
            for region in partition["regions"]:
                out[region] = partition["partition"]
    # "aws-global", "aws-cn-global", ...: endpoint pseudo-regions, not places a stack can go.
    return {region: p for region, p in out.items() if not region.endswith("-global")}


def known_regions() -> frozenset[str]:
    """Every region botocore knows, in every partition."""
    return frozenset(_region_partitions())


@functools.cache
def known_partitions() -> frozenset[str]:
    """Every partition botocore knows (``aws``, ``aws-cn``, ``aws-us-gov``, ...)."""
    return frozenset(_region_partitions().values())


def partition_of(region: str) -> str | None:
    """The partition of ``region``, or None when botocore does not know the region."""
    return _region_partitions().get(region)
