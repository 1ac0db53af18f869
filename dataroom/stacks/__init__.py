"""The stacks a manifest synthesizes."""

from dataroom.stacks.data_room_stack import DataRoomStack

__all__ = ["DataRoomStack"]
