"""Our real node (settings, engine, UDP socket), scripted for what no command does yet.

Run in a lab namespace as ``python -m tests.interop.node_driver [common options] --ask IP``:
it announces itself, waits for the peer at IP, asks it for its version (GETINFO) and its
absence text (GETABSENCEINFO) the way the app's peer-info view does, and prints every
event the engine reports as one JSON line until both requests are answered or given up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from ipmsg_tui.config import load_settings
from ipmsg_tui.protocol import events as ev
from ipmsg_tui.session import build_node

KINDS = ("version", "absence")


def record(event: ev.Event) -> dict[str, Any] | None:
    match event:
        case ev.PeerJoined(peer=peer) | ev.PeerChanged(peer=peer):
            return {"event": type(event).__name__, "ip": peer.ip, "nick": peer.nick}
        case ev.InfoReceived(addr=addr, kind=kind, text=text):
            return {"event": "InfoReceived", "ip": addr[0], "kind": kind, "text": text}
        case ev.InfoFailed(addr=addr, kind=kind):
            return {"event": "InfoFailed", "ip": addr[0], "kind": kind}
    return None


async def ask(args: argparse.Namespace) -> int:
    settings = load_settings(
        args.config, data_dir=args.data_dir, nick=args.nick, retry_interval=args.retry_interval
    )
    changed = asyncio.Event()
    seen: list[dict[str, Any]] = []

    def on_event(event: ev.Event) -> None:
        line = record(event)
        if line is not None:
            seen.append(line)
            print(json.dumps(line, ensure_ascii=False), flush=True)
            changed.set()

    def answered() -> set[str]:
        return {e["kind"] for e in seen if e["event"] in ("InfoReceived", "InfoFailed")}

    node = build_node(settings, [on_event])
    await node.start()
    try:
        await _wait(changed, lambda: any(e.get("ip") == args.ask for e in seen), 5)
        addr = (args.ask, settings.port)
        for kind in KINDS:
            node.request_info(addr, kind)
        limit = settings.retry_interval * settings.retry_count * 2 + 2
        await _wait(changed, lambda: answered() == set(KINDS), limit)
    finally:
        await node.stop()
    return 0


async def _wait(changed: asyncio.Event, done: Any, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not done() and (remaining := deadline - loop.time()) > 0:
        changed.clear()
        try:
            await asyncio.wait_for(changed.wait(), remaining)
        except TimeoutError:
            return


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="node_driver")
    parser.add_argument("--config", type=Path)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--nick")
    parser.add_argument("--retry-interval", type=float, metavar="SECONDS")
    parser.add_argument("--ask", required=True, metavar="IP")
    return asyncio.run(ask(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
