"""dataroom: data rooms as code.

Isolated gloveboxes where data scientists read production data read-only, with production-grade
controls, synthesized by the AWS CDK from one declarative room manifest.

``from dataroom import ProductionBaseline`` applies the same controls to a production app; it is
loaded on first use so that ``import dataroom`` alone does not start jsii.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["ProductionBaseline", "__version__"]

if TYPE_CHECKING:
    from dataroom.production_baseline import ProductionBaseline


def __getattr__(name: str) -> Any:
    if name == "ProductionBaseline":
        from dataroom.production_baseline import ProductionBaseline

        return ProductionBaseline
    raise AttributeError(f"module 'dataroom' has no attribute {name!r}")
