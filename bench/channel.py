"""The worker side of the line protocol: JSON objects on stdout, commands on stdin.

Workers run inside namespaces as child processes of a benchmark script; one JSON object per
line each way keeps them independent of how the script schedules them.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def read_command() -> dict[str, Any]:
    """The next command; end of input means quit."""
    line = sys.stdin.readline()
    return json.loads(line) if line.strip() else {"quit": True}


async def next_command() -> dict[str, Any]:
    return await asyncio.to_thread(read_command)
