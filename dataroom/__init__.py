"""dataroom: data rooms as code.

Isolated gloveboxes where data scientists read production data read-only, with production-grade
controls, synthesized by the AWS CDK from one declarative room manifest.
"""

__version__ = "0.1.0"
