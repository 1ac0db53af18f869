"""The stacks a manifest synthesizes."""

from dataroom.stacks.data_room_stack import DataRoomStack
from dataroom.stacks.production_access_stack import ProductionAccessStack

__all__ = ["DataRoomStack", "ProductionAccessStack"]
