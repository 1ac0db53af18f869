"""Reusable constructs of a data room."""

from dataroom.constructs.glovebox import Glovebox
from dataroom.constructs.room_key import RoomKey
from dataroom.constructs.room_storage import RoomStorage

__all__ = ["Glovebox", "RoomKey", "RoomStorage"]
