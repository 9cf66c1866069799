"""Command line: ``ipmsg-tui`` starts the app; ``who``, ``send``, ``listen``, ``history`` and
``keys`` are for scripts."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__, i18n
from .i18n import N_, _

# `--version` and `--help` answer from argparse alone: the settings, the store, the network
# and asyncio are imported (inside the functions below) only once a command needs them.
if TYPE_CHECKING:
    from .config import Settings

PROG = "ipmsg-tui"
# Errors of the user's making (flags, config, busy port) exit with 2, like argparse does.
USAGE_ERROR = 2


# argparse's own words (its gettext domain "argparse"), in our catalogs so that `--help` and
# its errors read wholly in the chosen language.
ARGPARSE_WORDS = (
    N_("usage: "),
    N_("options"),
    N_("positional arguments"),
    N_("show this help message and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"),
    N_("one of the arguments %s is required"),
    N_("ignored explicit argument %r"),
    N_("can't open '%(filename)s': %(error)s"),
)


def _translate_argparse() -> None:
    """argparse looks its words up through its module's ``_`` and ``ngettext`` each time it
    speaks: ours answer in the chosen language (English words stay as they are)."""
    argparse._ = _  # type: ignore[attr-defined]
    argparse.ngettext = i18n.ngettext  # type: ignore[attr-defined]


def _common_options() -> argparse.ArgumentParser:
    # SUPPRESS: an option given before the command is not reset by the command's parser.
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    group = common.add_argument_group(_("common options"))
    group.add_argument("--nick", help=_("nickname shown to others"))
    group.add_argument("--group", help=_("group name shown to others"))
    group.add_argument("--port", type=_port, help=_("UDP/TCP port (default 2425)"))
    group.add_argument(
        "--bind",
        metavar="ADDR",
        help=_("use only the interface with this address (and its broadcast)"),
    )
    group.add_argument(
        "--broadcast",
        metavar="ADDR[:PORT]",
        action="append",
        help=_("extra broadcast address (repeatable)"),
    )
    group.add_argument(
        "--host",
        dest="hosts",
        metavar="ADDR[:PORT]",
        action="append",
        help=_("a peer beyond the subnet, told about us by unicast (repeatable)"),
    )
    group.add_argument(
        "--encoding",
        metavar="CODEC",
        help=_("legacy code page of non-UTF-8 peers (gb18030, cp932 ...)"),
    )
    group.add_argument(
        "--encryption",
        choices=("auto", "required", "off"),
        help=_("auto: encrypt to every peer that can (default); required: never send clear text"),
    )
    group.add_argument(
        "--language",
        choices=i18n.LANGUAGE_CHOICES,
        help=_("language of the interface (default: from the locale)"),
    )
    group.add_argument("--config", type=Path, metavar="FILE", help=_("settings file (TOML)"))
    group.add_argument("--data-dir", type=Path, metavar="DIR", help=_("where the history is kept"))
    group.add_argument("--log-file", type=Path, metavar="FILE", help=_("write a log here"))
    group.add_argument("-v", "--verbose", action="count", help=_("more log output (-vv: debug)"))
    return common


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(
            _("{text} is not a port number (1-65535)").format(text=repr(text))
        )
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{text} is not a number of seconds").format(text=repr(text))
        ) from None
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError(_("{text} is out of range").format(text=repr(text)))
    return value


def build_parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog=PROG,
        parents=[common],
        description=_(
            "A full-screen terminal IP Messenger (IPMSG, 飞鸽传书) for the LAN. "
            "Without a command it starts the app."
        ),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"{PROG} {__version__}",
        help=_("show program's version number and exit"),
    )
    parser.add_argument("--no-mouse", action="store_true", help=_("do not capture the mouse"))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    who = commands.add_parser("who", parents=[common], help=_("list who is online, then leave"))
    who.add_argument("--wait", type=_seconds, default=2.0, metavar="SECONDS", help=_("default 2"))
    who.add_argument("--json", action="store_true", help=_("print one JSON array"))

    send = commands.add_parser(
        "send", parents=[common], help=_("send one message and wait for the receipt")
    )
    send.add_argument("target", metavar="TARGET", help=_("IP, IP:PORT, nick, user or user@host"))
    send.add_argument("text", metavar="TEXT", help=_("the message ('-' reads it from stdin)"))
    send.add_argument(
        "--to",
        dest="also",
        action="append",
        default=[],
        metavar="TARGET",
        help=_("one more recipient (repeatable): one message to all; exit 0 only if all got it"),
    )
    send.add_argument("--sealed", action="store_true", help=_("seal it: the peer must open it"))
    send.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help=_("give up after this long; 0: do not wait for the receipt"),
    )
    send.add_argument(
        "--file",
        dest="files",
        type=Path,
        action="append",
        default=[],
        metavar="PATH",
        help=_("attach a file or folder (repeatable); waits until the peer has fetched them"),
    )

    listen = commands.add_parser("listen", parents=[common], help=_("stay online and print events"))
    listen.add_argument("--json", action="store_true", help=_("one JSON object per line"))
    listen.add_argument(
        "--open-sealed", action="store_true", help=_("open sealed messages at once (sends READMSG)")
    )
    listen.add_argument(
        "--commands",
        action="store_true",
        help=_("take JSON commands (send, broadcast, away ...) on stdin; implies --json"),
    )
    listen.add_argument(
        "--accept-files",
        action="store_true",
        help=_("download every offered file and folder (file_received / file_failed events)"),
    )
    listen.add_argument(
        "--save-dir",
        type=Path,
        metavar="DIR",
        help=_("where accepted files go (default: the download_dir setting)"),
    )
    listen.add_argument(
        "--checksum",
        action="store_true",
        help=_(
            "with --accept-files: SHA-256 of every received file, as sha256 in file_received "
            "(costs about as much CPU as receiving it)"
        ),
    )
    _add_history_command(commands, common)
    keys = commands.add_parser(
        "keys",
        parents=[common],
        help=_(
            "our key's fingerprint and the peers' pinned keys; 'keys accept PEER' trusts "
            "a peer's new key"
        ),
    )
    keys.add_argument("action", nargs="?", choices=("accept",), help=_("accept PEER's current key"))
    keys.add_argument("peer", nargs="?", metavar="PEER", help=_("IP, IP:PORT, nick or user@host"))
    return parser


def _add_history_command(commands: Any, common: argparse.ArgumentParser) -> None:
    history = commands.add_parser(
        "history",
        parents=[common],
        help=_("print or search the stored messages (no network: works beside the app)"),
    )
    history.add_argument(
        "peer",
        nargs="?",
        metavar="PEER",
        help=_("only this conversation: user@host, nick, user, IP"),
    )
    history.add_argument(
        "--search", metavar="TEXT", help=_("only messages holding TEXT (any case, any width)")
    )
    history.add_argument(
        "--since", metavar="DATE", help=_("only from DATE on: YYYY-MM-DD or 'YYYY-MM-DD HH:MM'")
    )
    history.add_argument("--limit", type=_count, metavar="N", help=_("only the newest N"))
    history.add_argument("--json", action="store_true", help=_("one JSON object per line"))


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            _("{text} is not a positive whole number").format(text=repr(text))
        )
    return int(text)


def settings_from(args: argparse.Namespace) -> Settings:
    from .config import ConfigError, load_settings

    given: dict[str, Any] = vars(args)
    config: Path | None = given.get("config")
    if config is not None and not config.exists():  # a typo must not mean "no settings"
        raise ConfigError(_("the config file {path} does not exist").format(path=config))
    return load_settings(
        given.get("config"),
        nick=given.get("nick"),
        group=given.get("group"),
        port=given.get("port"),
        bind=given.get("bind"),
        broadcast=given.get("broadcast"),
        hosts=given.get("hosts"),
        encoding=given.get("encoding"),
        data_dir=given.get("data_dir"),
        log_file=given.get("log_file"),
        encryption=given.get("encryption"),
        language=given.get("language"),
    )


def _fail(message: str, status: int = USAGE_ERROR) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return status


def _option_value(argv: Sequence[str], name: str) -> str | None:
    """``--name VALUE`` or ``--name=VALUE`` from the raw arguments (the last one given)."""
    found = None
    for index, word in enumerate(argv):
        if word == name and index + 1 < len(argv):
            found = argv[index + 1]
        elif word.startswith(name + "="):
            found = word.partition("=")[2]
    return found


def _config_file(argv: Sequence[str]) -> Path:
    named = _option_value(argv, "--config") or os.environ.get("IPMSG_TUI_CONFIG")
    if named:
        return Path(named)
    system: str = sys.platform  # (a variable: mypy would judge the other branch unreachable)
    if system.startswith("linux"):  # platformdirs' answer, without importing it
        base = os.environ.get("XDG_CONFIG_HOME", "").strip() or os.path.expanduser("~/.config")
        return Path(base) / PROG / "config.toml"
    from .config import default_config_path

    return default_config_path()


def choose_language(argv: Sequence[str]) -> str:
    """The interface language, known before the parser is built (its help is translated):
    ``--language``, else the config file's ``language``, else the locale. Read with tomllib
    alone: ``--help`` stays as quick as a bare start (a bad file is reported later)."""
    setting = _option_value(argv, "--language")
    if setting is None:
        try:
            text = _config_file(argv).read_text(encoding="utf-8")
        except (OSError, ValueError):
            text = ""
        value: dict[str, Any] = {}
        if text:  # no settings file (the usual case): tomllib is not even imported
            import tomllib

            try:
                value = tomllib.loads(text)
            except ValueError:
                value = {}
        language = value.get("language")
        setting = language if isinstance(language, str) else None
    return i18n.choose(setting, os.environ)


def main(argv: Sequence[str] | None = None) -> int:
    if list(sys.argv[1:] if argv is None else argv) == ["--version"]:
        print(f"{PROG} {__version__}")  # what argparse would say, without building the parser
        return 0
    words = sys.argv[1:] if argv is None else list(argv)
    i18n.install(choose_language(words))
    _translate_argparse()
    args = build_parser().parse_args(words)
    from .config import ConfigError
    from .headless.common import CommandError
    from .logs import default_log_file
    from .net.binding import BindFailed
    from .net.interfaces import InterfaceError
    from .store import StoreError
    from .targets import TargetError

    try:
        settings = settings_from(args)
    except ConfigError as error:
        return _fail(str(error))
    verbosity = getattr(args, "verbose", 0) or 0
    try:
        if args.command is None:
            _setup_logging(verbosity, settings.log_file or default_log_file(), to_stderr=False)
            from .ui.app import run_app  # textual is only imported for the app

            return run_app(settings, mouse=not args.no_mouse)
        _setup_logging(verbosity, settings.log_file, to_stderr=True)
        if args.command == "history":
            return _run_history(args, settings)
        if args.command == "keys" and args.action is None:
            return _run_keys_list(args, settings)
        import asyncio

        return asyncio.run(_run_command(args, settings))
    except (ConfigError, InterfaceError, BindFailed, StoreError, TargetError) as error:
        return _fail(str(error))
    except CommandError as error:
        return _fail(str(error), error.status)
    except KeyboardInterrupt:
        return 130


def _setup_logging(verbosity: int, log_file: Path | None, *, to_stderr: bool) -> None:
    from .config import ConfigError
    from .logs import setup_logging

    try:
        setup_logging(verbosity, log_file, to_stderr=to_stderr)
    except OSError as error:  # a log file that cannot be written is a user error too
        raise ConfigError(
            _("cannot write the log file {path}: {error}").format(
                path=log_file, error=error.strerror or error
            )
        ) from None


def _run_history(args: argparse.Namespace, settings: Settings) -> int:
    from .headless.history import run_history  # reads the database only: no socket
    from .store import HistoryStore

    store = HistoryStore(settings.history_path)
    try:
        return run_history(
            store,
            peer=args.peer,
            search=args.search,
            since=args.since,
            limit=args.limit,
            as_json=args.json,
        )
    finally:
        store.close()


def _run_keys_list(args: argparse.Namespace, settings: Settings) -> int:
    from .headless.keys import run_keys_list  # key files and the database: no socket
    from .store import HistoryStore

    store = HistoryStore(settings.history_path)
    try:
        return run_keys_list(settings, store)
    finally:
        store.close()


async def _run_command(args: argparse.Namespace, settings: Settings) -> int:
    from .headless.common import CommandError
    from .store import HistoryStore
    from .targets import check_target

    if args.command == "who":
        from .headless.who import run_who

        return await run_who(settings, args.wait, args.json)
    store = HistoryStore(settings.history_path)
    try:
        if args.command == "keys":
            if args.peer is None:
                raise CommandError(_("keys accept needs a PEER"), USAGE_ERROR)
            check_target(args.peer)
            from .headless.keys import run_keys_accept

            return await run_keys_accept(settings, args.peer, store)
        if args.command == "send":
            check_target(args.target)
            if args.timeout == 0 and args.files:
                raise CommandError(
                    _("--timeout 0 does not wait, but files are only served while send waits"),
                    USAGE_ERROR,
                )
            text = sys.stdin.read() if args.text == "-" else args.text
            if not text and not args.files:
                raise CommandError(_("nothing to send"), USAGE_ERROR)
            from .headless.send import run_send

            return await run_send(
                settings,
                args.target,
                text,
                also=args.also,
                sealed=args.sealed,
                timeout=args.timeout,
                store=store,
                paths=args.files,
            )
        from .headless.listen import run_listen

        return await run_listen(
            settings,
            as_json=args.json or args.commands,
            open_sealed=args.open_sealed,
            commands=args.commands,
            store=store,
            accept_files=args.accept_files,
            save_dir=args.save_dir,
            checksum=args.checksum,
        )
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())
