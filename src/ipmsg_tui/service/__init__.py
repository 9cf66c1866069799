"""The service layer: one :class:`Messenger` under the app and the commands."""

from .messenger import FilesOffered, KeyNotKnown, Messenger, TargetAdded

__all__ = ["FilesOffered", "KeyNotKnown", "Messenger", "TargetAdded"]
