"""Benchmark 10, encryption's price: one short ``send`` encrypted against the same ``send``
with ``--encryption off``, and the app's start with keys against a start that must make them.

Across the namespace LAN, a peer runs ``ipmsg-tui listen`` with its keys. Each run times one
whole command, from its start to its exit: ``ipmsg-tui send PEER hi`` (its keys already in
its data folder: it asks the listener for its key, encrypts, signs; the listener asks for
the sender's key to check the signature before its receipt), the same command with
``--encryption off`` (clear text), and ``python bench/raw_message.py`` (one raw SENDMSG and
its RECVMSG). Then ``ipmsg-tui who --wait 0`` (start, announce, leave: the shortest
command that loads our keys) with its keys, and with an empty data folder per run, where it
starts making them. Then the app, in a 120×40 pseudo-terminal on a host of its own, from the spawn
to its first full frame (as benchmark 5): with its keys in the data folder, and with the
same data folder without them (a copy per run), where the keys are made in a background
thread: key generation must not be on the start-up path. Kinds take turns within each
round; best and median are shown (the machine is shared).

    sudo .venv/bin/python -m bench.encrypted_send           # 15 rounds
    sudo .venv/bin/python -m bench.encrypted_send --smoke   # 1 round
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from ipmsg_tui.keystore import key_folder, load_or_create_keys

from . import cli
from .command_time import RAW_SCRIPT, app, environment, wait_online
from .file_command import Background, timed
from .lab import Host, LabError, lan_of
from .report import median, ratio_line, save_json, table
from .startup import SIZE
from .startup import environment as terminal_environment
from .terminal import launch
from .tmpfs import tmpfs

SEND_GOAL = 1.5  # an encrypted send within half again the clear one
START_GOAL = 1.15  # "never on the start-up path": within this machine's noise
ENCRYPTED, CLEAR, RAW = "send, encrypted", "send --encryption off", "raw SENDMSG script"
WITH_KEYS, NO_KEYS = "app, keys in the data folder", "app, keys made at start"
WHO_KEYS, WHO_NO_KEYS = "who --wait 0, keys in the data folder", "who --wait 0, keys made at start"


def send_commands(alpha: Host, beta: Host, home: Path) -> dict[str, list[str]]:
    data = str(home / "send")
    send = app(alpha, None, "send", beta.ip, "hi", "--bind", alpha.ip, "--data-dir", data)
    raw = alpha.command(sys.executable, str(RAW_SCRIPT), alpha.ip, beta.ip, "2425")
    return {ENCRYPTED: send, CLEAR: [*send, "--encryption", "off"], RAW: raw}


def check_encrypted(listener: Background) -> None:
    """The warm-up's first message came encrypted and signed, the second in clear."""
    first, second = (ours_next(listener), ours_next(listener))
    if '"encrypted": true' not in first or '"signed": true' not in first:
        raise LabError(f"the encrypted send came in clear: {first}")
    if '"encrypted": false' not in second:
        raise LabError(f"the --encryption off send came encrypted: {second}")


def ours_next(listener: Background) -> str:
    """The next message line from ipmsg-tui (not from the raw script, user "bench")."""
    while '"user": "bench"' in (line := listener.wait_for('"event": "message"', 30)):
        pass
    return line


def app_start(host: Host, home: Path, data: Path) -> float:
    python = Path(sys.executable)
    command = [str(python.parent / "ipmsg-tui"), "--bind", host.ip, "--data-dir", str(data),
               "--log-file", str(data / "app.log")]  # fmt: skip
    env = terminal_environment(home, None)
    return launch(command, size=SIZE, env=env, preexec=host.enter).first_frame


def main() -> None:
    parser = cli.parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.smoke else 15)  # smoke: within its 110 s on a busy box
    seconds: dict[str, list[float]] = {}
    with tmpfs(256 << 20) as root, lan_of("alpha", "beta", "app") as lan:
        home = Path(tempfile.mkdtemp(dir=root))
        alpha, beta, host = lan["alpha"], lan["beta"], lan["app"]
        for name in ("listen", "send", "app"):  # made once, untimed, as after a first run
            load_or_create_keys(home / name)
        # Runtime folders of their own: the namespaces share /tmp, and a `send` finding a
        # control socket for port 2425 there (ours, or any other lab's) would go through it.
        for run in ("run-send", "run-listen"):
            (home / run).mkdir(mode=0o700)
        env = {**environment(home, None), "XDG_RUNTIME_DIR": str(home / "run-send")}
        listen = app(beta, None, "listen", "--bind", beta.ip, "--json", "--data-dir",
                     str(home / "listen"))  # fmt: skip
        listener = Background(listen, {**env, "XDG_RUNTIME_DIR": str(home / "run-listen")})
        try:
            wait_online(alpha, beta, 2425, env)
            commands = send_commands(alpha, beta, home)
            for index in range(-1, rounds):  # round -1 warms up and is not counted
                order = list(commands) if index % 2 == 0 else list(reversed(commands))
                if index == -1:
                    order = [ENCRYPTED, CLEAR, RAW]
                for kind in order:
                    took = timed(commands[kind], env)
                    if index >= 0:
                        seconds.setdefault(kind, []).append(took)
                if index == -1:
                    check_encrypted(listener)
        finally:
            listener.stop()
        # `who --wait 0`, the shortest command that loads (or makes) the keys: with them,
        # and with an empty data folder of its own per run.
        who = app(alpha, None, "who", "--wait", "0", "--bind", alpha.ip, "--data-dir")
        timed([*who, str(home / "send")], env)  # warm-up
        for index in range(rounds):
            runs = [(WHO_KEYS, home / "send"), (WHO_NO_KEYS, root / f"who-fresh-{index}")]
            for kind, data in runs if index % 2 == 0 else reversed(runs):
                seconds.setdefault(kind, []).append(timed([*who, str(data)], env))
        # The app: a warm-up start makes the history database; the copy without keys
        # differs from the one with keys by the key folder alone.
        app_start(host, home, home / "app")
        template = root / "app-no-keys"
        shutil.copytree(home / "app", template)
        shutil.rmtree(key_folder(template))
        made = 0  # runs whose background thread saved a key before ctrl+q
        for index in range(rounds):
            fresh = root / f"app-fresh-{index}"
            shutil.copytree(template, fresh)
            runs = [(WITH_KEYS, home / "app"), (NO_KEYS, fresh)]
            for kind, data in runs if index % 2 == 0 else reversed(runs):
                seconds.setdefault(kind, []).append(app_start(host, home, data))
            made += (key_folder(fresh) / "rsa2048.pem").exists()
    best = {kind: min(values) for kind, values in seconds.items()}
    rows = [
        [kind, len(values), best[kind] * 1000, median(values) * 1000]
        for kind, values in seconds.items()
    ]
    print(f"Encryption's price, namespace LAN, {rounds} rounds (the machine is shared)")
    print(table(["what", "runs", "best ms", "median ms"], rows))
    print(f"(without keys, the app had saved its RSA-2048 key before ctrl+q in {made} of {rounds})")
    save_json(args.json, {"seconds": seconds, "keys_made": made})
    send_ratio = best[ENCRYPTED] / best[CLEAR]
    start_ratio = median(seconds[WHO_NO_KEYS]) / median(seconds[WHO_KEYS])
    app_ratio = median(seconds[NO_KEYS]) / median(seconds[WITH_KEYS])
    print(
        ratio_line(
            "one short send, encrypted / --encryption off (best runs)",
            send_ratio,
            f"≤ {SEND_GOAL:g}×, and `who` / the app's first frame without keys / with keys "
            f"(medians) ≤ {START_GOAL:g}×; here {start_ratio:.2f}× / {app_ratio:.2f}×",
            send_ratio <= SEND_GOAL and max(start_ratio, app_ratio) <= START_GOAL,
        )
    )


if __name__ == "__main__":
    cli.run(main)
