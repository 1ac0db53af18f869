"""Local mode: templates a moto server on this machine can deploy, for the local try-out only.

``cdk deploy -c dataroom:local=true`` with ``AWS_ENDPOINT_URL`` pointing at a moto server on the
loopback interface synthesizes the same rooms with three differences moto 5.2 needs, and refuses
to run with any other endpoint, so a weakened template can never reach a real account:

- the restrict-default-security-group custom resource is left out (moto would have to run its
  Lambda function in Docker and call back a server it cannot reach): NET-4 is not applied, and
  the gate waives its rule (``Rule.waived_locally``), as it waives EXP-1's malware-scan plan, in
  local mode only;
- ``Tags`` are dropped from ``AWS::KMS::Key`` and ``AWS::SSM::Parameter``, whose CloudFormation
  tag shapes moto's models reject with HTTP 500.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

import jsii
from aws_cdk import CfnResource, IAspect
from constructs import IConstruct

CONTEXT_KEY = "dataroom:local"
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
_UNTAGGED = {"AWS::KMS::Key", "AWS::SSM::Parameter"}


class LocalModeError(RuntimeError):
    """Local mode was asked for without a local endpoint."""


def require_local_endpoint(environ: dict[str, str] | None = None) -> str:
    """The loopback endpoint local mode deploys to; raises :class:`LocalModeError` otherwise."""
    environ = dict(os.environ) if environ is None else environ
    endpoint = environ.get("AWS_ENDPOINT_URL", "")
    host = urlparse(endpoint).hostname or ""
    if host not in _LOOPBACK:
        raise LocalModeError(
            f"-c {CONTEXT_KEY}=true makes templates for a local moto server only, and "
            f"AWS_ENDPOINT_URL={endpoint or '(unset)'} is not a loopback URL such as "
            "http://localhost:5000; unset the context flag to synthesize for real accounts"
        )
    return endpoint


@jsii.implements(IAspect)
class MotoCompatibility:
    """Drops the tags moto's KMS and SSM models cannot read (see the module docstring)."""

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, CfnResource) and node.cfn_resource_type in _UNTAGGED:
            node.add_deletion_override("Properties.Tags")


def is_local(scope: IConstruct) -> bool:
    """Whether ``-c dataroom:local=true`` (or the context value ``True``) was given."""
    value = scope.node.try_get_context(CONTEXT_KEY)
    return value is True or str(value).lower() == "true"
