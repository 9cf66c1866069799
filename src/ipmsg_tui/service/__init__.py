"""The service layer: one :class:`Messenger` under the app and the commands."""

from .messenger import FilesOffered, Messenger, TargetAdded

__all__ = ["FilesOffered", "Messenger", "TargetAdded"]
