"""The short commands as the user waits for them.

Across the namespace LAN, a peer runs ``ipmsg-tui listen``. Each run times one whole
command, from its start to its exit: ``ipmsg-tui send PEER hi`` (one short message and its
receipt) beside ``python bench/raw_message.py`` (the same SENDMSG and RECVMSG, no more),
and ``ipmsg-tui --version`` and ``--help`` beside a bare ``python -c pass``. Kinds take
turns within each round; the best run of each counts (the machine is shared) and the
median is shown beside it.

    sudo .venv/bin/python -m bench.command_time           # 20 rounds
    sudo .venv/bin/python -m bench.command_time --smoke   # 2 rounds
    sudo .venv/bin/python -m bench.command_time --before /work/main/src
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from . import cli
from .file_command import Background, interpreter, timed
from .lab import Host, LabError, lan_of
from .report import median, ratio_line, table
from .tmpfs import tmpfs

SEND_GOAL = 2.5
START_GOAL = 1.5  # "close to a bare interpreter start"
RAW_SCRIPT = Path(__file__).with_name("raw_message.py")
PORTS = {"ours": (2425, 2435), "before": (2427, 2437)}


def environment(home: Path, before: Path | None) -> dict[str, str]:
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home))
    env.pop("IPMSG_TUI_CONFIG", None)
    # Byte code cached as an installed copy has it, in a tree of our own (see file_command).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
    if before is not None:
        env["PYTHONPYCACHEPREFIX"] = str(home / "pycache-before")
        env["PYTHONPATH"] = str(before)
    return env


def app(host: Host, before: Path | None, *args: str) -> list[str]:
    return host.command(interpreter(before), "-m", "ipmsg_tui", *args)


def wait_online(alpha: Host, beta: Host, port: int, env: dict[str, str]) -> None:
    """Until the listener answers (its first start compiles the byte code: it may be slow)."""
    ping = alpha.command(sys.executable, str(RAW_SCRIPT), alpha.ip, beta.ip, str(port))
    for _ in range(12):  # the script itself tries for 5 s
        if subprocess.run(ping, env=env, capture_output=True).returncode == 0:
            return
    raise LabError(f"the listener on port {port} never answered")


def main() -> None:
    parser = cli.parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.smoke else 20)
    kinds = ["ours", *(["before"] if args.before else [])]
    seconds: dict[tuple[str, str], list[float]] = {}
    with tmpfs(64 << 20) as root, lan_of("alpha", "beta") as lan:
        home = Path(tempfile.mkdtemp(dir=root))
        alpha, beta = lan["alpha"], lan["beta"]
        envs = {kind: environment(home, args.before if kind == "before" else None)
                for kind in kinds}  # fmt: skip
        bare = environment(home, None)
        code = {kind: args.before if kind == "before" else None for kind in kinds}
        listeners = []
        try:
            for kind in kinds:
                port, _ = PORTS[kind]
                listen = app(beta, code[kind], "listen", "--bind", beta.ip, "--port", str(port),
                             "--json", "--data-dir", str(home / f"listen-{kind}"))  # fmt: skip
                listeners.append(Background(listen, envs[kind]))
            for kind in kinds:  # online once it answers the raw script
                wait_online(alpha, beta, PORTS[kind][0], bare)
            commands: dict[tuple[str, str], tuple[list[str], dict[str, str]]] = {}
            commands["send", "raw script"] = (
                alpha.command(sys.executable, str(RAW_SCRIPT), alpha.ip, beta.ip, "2425"),
                bare,
            )
            commands["start", "bare python"] = (alpha.command(sys.executable, "-c", "pass"), bare)
            for kind in kinds:
                port, own = PORTS[kind]
                label = "ipmsg-tui" if kind == "ours" else "ipmsg-tui before"
                data = str(home / f"send-{kind}")
                send = app(alpha, code[kind], "send", f"{beta.ip}:{port}", "hi", "--bind",
                           alpha.ip, "--port", str(own), "--data-dir", data)  # fmt: skip
                commands["send", label] = (send, envs[kind])
                for option in ("--version", "--help"):
                    commands["start", f"{label} {option}"] = (
                        app(alpha, code[kind], option),
                        envs[kind],
                    )
            # Round -1 warms up (byte code written, the listeners online) and is not counted.
            for index in range(-1, rounds):
                order = list(commands) if index % 2 == 0 else list(reversed(commands))
                for key in order:
                    command, env = commands[key]
                    took = timed(command, env)
                    if index >= 0:
                        seconds.setdefault(key, []).append(took)
        finally:
            for listener in listeners:
                listener.stop()
    best = {key: min(values) for key, values in seconds.items()}
    baseline = {"send": best["send", "raw script"], "start": best["start", "bare python"]}
    rows = [
        [what, label, len(values), best[what, label] * 1000, median(values) * 1000,
         best[what, label] / baseline[what]]
        for (what, label), values in seconds.items()
    ]  # fmt: skip
    print(f"Whole short commands, namespace LAN, best of {rounds} (the machine is shared)")
    print(table(["what", "command", "runs", "best ms", "median ms", "× baseline"], rows))
    send_ratio = best["send", "ipmsg-tui"] / baseline["send"]
    version = best["start", "ipmsg-tui --version"] / baseline["start"]
    helping = best["start", "ipmsg-tui --help"] / baseline["start"]
    met = send_ratio <= SEND_GOAL and max(version, helping) <= START_GOAL
    print(
        ratio_line(
            "one short send, ipmsg-tui / raw SENDMSG script (best runs)",
            send_ratio,
            f"≤ {SEND_GOAL:g}×, and --version / --help ≤ {START_GOAL:g}× a bare interpreter; "
            f"here --version {version:.2f}×, --help {helping:.2f}×",
            met,
        )
    )


if __name__ == "__main__":
    cli.run(main)
