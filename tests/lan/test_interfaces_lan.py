"""Our own interface list (rtnetlink, no ctypes) says what getifaddrs (ifaddr) says, on a
host with many addresses: aliases on a /24, labelled ones (``eth0:n``), a /32 and a
point-to-point address, more than one netlink answer holds."""

from __future__ import annotations

import json
import subprocess
import sys

from ..support.netlab import lan_of

LIST_BOTH = (
    "import json\n"
    "from ipmsg_tui.net import interfaces\n"
    "print(json.dumps([[(i.name, i.ip, i.prefix) for i in listed] for listed in "
    "(interfaces.ipv4_interfaces(), interfaces._getifaddrs_ipv4())]))"
)


def test_netlink_lists_what_getifaddrs_lists() -> None:
    with lan_of("a") as lan:
        host = lan["a"]
        host.add_aliases([f"10.77.0.{n}" for n in range(100, 110)])
        batch = [f"addr add 10.77.{1 + n // 250}.{1 + n % 250}/32 dev eth0 label eth0:{n}"
                 for n in range(600)]  # fmt: skip
        batch += [
            "addr add 10.78.0.1/16 dev eth0 label eth0:wide",
            "addr add 10.79.0.1 peer 10.79.0.2 dev eth0",
        ]
        subprocess.run(
            host.command("ip", "-batch", "-"), input="\n".join(batch) + "\n", text=True, check=True
        )
        out = subprocess.run(
            host.command(sys.executable, "-c", LIST_BOTH), capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        ours, theirs = json.loads(out.stdout)
        assert len(ours) == 1 + 1 + 10 + 600 + 2  # lo, eth0 and every address added
        assert ours == theirs
        assert ["eth0:wide", "10.78.0.1", 16] in ours
