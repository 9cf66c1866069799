"""Settings: a TOML file under the user config dir, overridden by command-line flags.

The file is shared by the full-screen app and the headless commands. It is read with the
stdlib ``tomllib`` and written (by the app's commands) with ``tomli-w``, atomically.
"""

from __future__ import annotations

import getpass
import ipaddress
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from .i18n import LANGUAGES, _
from .i18n import normalize as normalize_language
from .protocol.constants import DEFAULT_PORT
from .protocol.peers import Addr
from .protocol.text import DEFAULT_LEGACY_CODEC, UnknownCodec, normalize_codec

APP_NAME = "ipmsg-tui"


class ConfigError(Exception):
    """A bad setting; the message names it and says how to fix it."""


def default_config_path() -> Path:
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def default_data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME)


def default_download_dir() -> Path:
    return platformdirs.user_downloads_path() / APP_NAME


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "user"


def _machine_name() -> str:
    """platform.node()'s answer; on POSIX without importing platform (a command's start)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import platform

    return platform.node()


@dataclass(frozen=True, slots=True)
class Settings:
    nick: str = ""
    group: str = ""
    user: str = ""
    host: str = ""
    port: int = DEFAULT_PORT
    bind: str | None = None
    broadcast: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    encoding: str = DEFAULT_LEGACY_CODEC
    peer_encodings: dict[str, str] = field(default_factory=dict)
    retry_interval: float = 1.0
    retry_count: int = 5
    auto_reply: bool = True
    away_text: str = ""
    theme: str = "textual-dark"
    data_dir: Path = field(default_factory=default_data_dir)
    download_dir: Path = field(default_factory=default_download_dir)
    offer_ttl: float = 3600.0  # seconds an offer of ours stays downloadable
    part_max_age: float = 7.0  # days an unfinished download's .part is kept for a resume
    log_file: Path | None = None
    encryption: str = "auto"  # "auto" | "required" | "off" (see README, Security)
    language: str = "auto"  # "auto" (from the locale) | "en" | "zh_CN" | "ja"
    notifications: bool = True  # desktop notices while the terminal is not focused
    notify_escape: str = "auto"  # "auto" | "osc9" | "osc777" | "off"
    notify_command: tuple[str, ...] = ()  # e.g. ("notify-send", "{title}", "{body}")
    config_path: Path = field(default_factory=default_config_path)

    @property
    def display_nick(self) -> str:
        return self.nick or self.user

    def broadcast_targets(self) -> list[Addr]:
        return [parse_target(t, self.port) for t in self.broadcast]

    def unicast_targets(self) -> list[Addr]:
        return [parse_target(t, self.port) for t in self.hosts]

    @property
    def history_path(self) -> Path:
        return self.data_dir / "history.sqlite3"


# Keys the TOML file may hold, with the type each must have.
_FILE_KEYS: dict[str, type | tuple[type, ...]] = {
    "nick": str,
    "group": str,
    "user": str,
    "host": str,
    "port": int,
    "bind": str,
    "broadcast": list,
    "hosts": list,
    "encoding": str,
    "peer_encodings": dict,
    "retry_interval": (int, float),
    "retry_count": int,
    "auto_reply": bool,
    "away_text": str,
    "theme": str,
    "data_dir": str,
    "download_dir": str,
    "offer_ttl": (int, float),
    "part_max_age": (int, float),
    "log_file": str,
    "encryption": str,
    "language": str,
    "notifications": bool,
    "notify_escape": str,
    "notify_command": list,
}
ENCRYPTION_POLICIES = ("auto", "required", "off")


def parse_target(text: str, default_port: int) -> Addr:
    """``ADDR`` or ``ADDR:PORT`` (IPv4) -> (addr, port); ConfigError otherwise."""
    host, sep, port_text = text.strip().rpartition(":")
    if not sep:
        host, port_text = text.strip(), ""
    try:
        address = str(ipaddress.IPv4Address(host))
    except ValueError:
        raise ConfigError(
            _("{text} is not an IPv4 address (expected ADDR or ADDR:PORT)").format(text=repr(text))
        ) from None
    port = default_port
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigError(_("{text} has a bad port number").format(text=repr(text)))
        port = int(port_text)
    return address, port


def read_config_file(path: Path) -> dict[str, Any]:
    """The settings the file holds ({} when there is none); ConfigError when it is bad."""
    return _read_file(path)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            import tomllib  # only when there is a file to read: most starts have none

            data = tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except PermissionError:
        raise ConfigError(
            _("cannot read config file {path}: permission denied").format(path=path)
        ) from None
    except IsADirectoryError:
        raise ConfigError(_("config file {path} is a directory").format(path=path)) from None
    except ValueError as error:  # tomllib.TOMLDecodeError, or bytes that are not UTF-8
        raise ConfigError(
            _("config file {path} is not valid TOML ({error}); fix or remove it").format(
                path=path, error=error
            )
        ) from None
    except OSError as error:
        raise ConfigError(
            _("cannot read config file {path}: {error}").format(path=path, error=error.strerror)
        ) from None
    for key, value in data.items():
        expected = _FILE_KEYS.get(key)
        if expected is None:
            raise ConfigError(
                _("config file {path}: unknown setting {key}").format(path=path, key=repr(key))
            )
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(
                _("config file {path}: {key} has the wrong type").format(path=path, key=repr(key))
            )
    return data


def _validate(settings: Settings) -> Settings:
    if not 0 < settings.port < 65536:
        raise ConfigError(_("port {port} is out of range (1-65535)").format(port=settings.port))
    if settings.retry_count < 1 or not 0.05 <= settings.retry_interval <= 60:
        raise ConfigError(_("retry_count must be >= 1 and retry_interval within 0.05-60 seconds"))
    if not 0 < settings.offer_ttl <= 30 * 86400:
        raise ConfigError(_("offer_ttl must be between 0 and 30 days (in seconds)"))
    if not 0 < settings.part_max_age <= 3650:
        raise ConfigError(_("part_max_age must be between 0 and 3650 days"))
    if settings.notify_escape not in ("auto", "osc9", "osc777", "off"):
        raise ConfigError(
            _("notify_escape {value}: auto, osc9, osc777 or off").format(
                value=repr(settings.notify_escape)
            )
        )
    if settings.encryption not in ENCRYPTION_POLICIES:
        raise ConfigError(
            _("encryption {value} is not one of auto, required, off").format(
                value=repr(settings.encryption)
            )
        )
    if settings.language != "auto" and normalize_language(settings.language) is None:
        raise ConfigError(
            _("language {value} is not one of {choices}").format(
                value=repr(settings.language), choices=", ".join(("auto", *LANGUAGES))
            )
        )
    try:
        encoding = normalize_codec(settings.encoding)
        peer_encodings = {k: normalize_codec(v) for k, v in settings.peer_encodings.items()}
    except UnknownCodec as error:
        raise ConfigError(
            _("unknown encoding {name} (try gb18030, gbk, cp932, utf-8)").format(name=error)
        ) from None
    if settings.bind is not None:
        try:
            ipaddress.IPv4Address(settings.bind)
        except ValueError:
            raise ConfigError(
                _("--bind {value} is not an IPv4 address").format(value=repr(settings.bind))
            ) from None
    for target in (*settings.broadcast, *settings.hosts):
        parse_target(target, settings.port)
    return replace(settings, encoding=encoding, peer_encodings=peer_encodings)


def load_settings(config_path: Path | None = None, **overrides: Any) -> Settings:
    """File values over defaults, then non-None ``overrides`` (from flags) over both."""
    from_env = os.environ.get("IPMSG_TUI_CONFIG")
    path = config_path or (Path(from_env) if from_env else default_config_path())
    data = _read_file(path)
    values: dict[str, Any] = {"config_path": path}
    for key, value in data.items():
        if key in ("broadcast", "hosts", "notify_command"):
            if not all(isinstance(v, str) for v in value):
                raise ConfigError(
                    _("config file {path}: {key} must be a list of strings").format(
                        path=path, key=repr(key)
                    )
                )
            value = tuple(value)
        elif key in ("data_dir", "download_dir", "log_file"):
            value = Path(value).expanduser()
        elif key == "peer_encodings":
            value = {str(k): str(v) for k, v in value.items()}
        elif key in ("retry_interval", "offer_ttl", "part_max_age"):
            value = float(value)
        values[key] = value
    for key, value in overrides.items():
        if value is None:
            continue
        if key in ("broadcast", "hosts"):
            value = tuple(values.get(key, ())) + tuple(value)
        values[key] = value
    known = {f.name for f in fields(Settings)}
    settings = Settings(**{k: v for k, v in values.items() if k in known})
    user = settings.user or _login_name()
    host = settings.host or _machine_name() or "localhost"
    settings = replace(settings, user=user, host=host, nick=settings.nick or user)
    return _validate(settings)


def save_settings(path: Path, changes: dict[str, Any]) -> None:
    """Merge ``changes`` into the TOML file (None deletes a key); atomic replace."""
    data = _read_file(path)
    for key, value in changes.items():
        if key not in _FILE_KEYS:
            raise ValueError(f"not a file setting: {key}")
        if value is None:
            data.pop(key, None)
        elif isinstance(value, Path):
            data[key] = str(value)
        elif isinstance(value, tuple):
            data[key] = list(value)
        else:
            data[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    import tomli_w  # only the app's commands write settings

    with temporary.open("wb") as handle:
        tomli_w.dump(data, handle)
    temporary.replace(path)
