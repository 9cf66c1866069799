"""Settings the app's commands change, written back to the TOML file the commands share.

Lists and tables are merged with what the *file* holds, not with the running settings:
hosts given by ``--host`` on the command line must not end up in the file.
"""

from __future__ import annotations

import logging
from typing import Any

from ..config import ConfigError, Settings, load_settings, save_settings
from ..i18n import _

log = logging.getLogger(__name__)


class Preferences:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def save(self, **changes: Any) -> str | None:
        """Write ``changes`` to the config file; a one-line error, or None."""
        try:
            save_settings(self.settings.config_path, changes)
        except (OSError, ConfigError, ValueError) as error:
            log.warning("cannot save settings %s: %s", sorted(changes), error)
            return _("Could not save to {path}: {error}").format(
                path=self.settings.config_path, error=error
            )
        log.info("saved settings %s", sorted(changes))
        return None

    def _in_file(self) -> Settings:
        return load_settings(self.settings.config_path)

    def add_to_list(self, key: str, item: str) -> str | None:
        """Append ``item`` to the file's ``hosts`` or ``broadcast`` list (once)."""
        try:
            current: tuple[str, ...] = getattr(self._in_file(), key)
        except ConfigError as error:
            return str(error)
        if item in current:
            return None
        return self.save(**{key: (*current, item)})

    def remove_from_list(self, key: str, item: str) -> str | None:
        """Take ``item`` out of the file's ``hosts`` or ``broadcast`` list (if there)."""
        try:
            current: tuple[str, ...] = getattr(self._in_file(), key)
        except ConfigError as error:
            return str(error)
        if item not in current:
            return None
        return self.save(**{key: tuple(t for t in current if t != item)})

    def set_peer_encoding(self, peer_key: str, codec: str | None) -> str | None:
        try:
            table = dict(self._in_file().peer_encodings)
        except ConfigError as error:
            return str(error)
        if codec is None:
            table.pop(peer_key, None)
        else:
            table[peer_key] = codec
        return self.save(peer_encodings=table)
