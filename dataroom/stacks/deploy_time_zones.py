"""DeployTimeZonesStack: a stack whose availability zones never need a look-up at synth."""

from __future__ import annotations

from aws_cdk import Fn, Stack


class DeployTimeZonesStack(Stack):
    """A ``Stack`` whose ``availability_zones`` are resolved by CloudFormation at deploy time.

    aws-cdk-lib's ``Vpc`` asks its stack for the region's zones whatever zones it is given (to
    check them), and a stack with an explicit account and region answers with a context look-up:
    ``cdk synth`` then needs credentials for that account, or a ``cdk.context.json`` entry. This
    stack answers with ``Fn::GetAZs`` instead, so a :class:`~dataroom.constructs.Glovebox`
    synthesizes offline, with the explicit zones it was given or the region's first two.
    ``DataRoomStack`` is one; derive a team's stack that holds a ``Glovebox`` from it.
    """

    @property
    def availability_zones(self) -> list[str]:
        """The region's first two zones, as ``Fn::Select`` over ``Fn::GetAZs``: no look-up."""
        azs = Fn.get_azs()
        return [Fn.select(0, azs), Fn.select(1, azs)]
