"""The stacks a manifest synthesizes, and the base stack for a room in a team's own app."""

from dataroom.stacks.data_room_stack import DataRoomStack
from dataroom.stacks.deploy_time_zones import DeployTimeZonesStack
from dataroom.stacks.production_access_stack import ProductionAccessStack

__all__ = ["DataRoomStack", "DeployTimeZonesStack", "ProductionAccessStack"]
