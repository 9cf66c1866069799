"""The raw script the command benchmark holds ``ipmsg-tui send`` against: one SENDMSG
with SENDCHECKOPT to a peer, then wait for its RECVMSG. No entry, no history, no retries
beyond one resend a second; a plain script (no imports from the project) so that its
start-up is the bare interpreter's.

    python bench/raw_message.py OWN_IP PEER_IP PEER_PORT
"""

import os
import socket
import sys

SENDMSG, RECVMSG, SENDCHECKOPT, UTF8OPT = 0x20, 0x21, 0x100, 0x00800000


def main():
    own, peer, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    number = int.from_bytes(os.urandom(3), "big")
    command = SENDMSG | SENDCHECKOPT | UTF8OPT
    packet = f"1:{number}:bench:{own}:{command}:hi\0".encode()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((own, 0))
        sock.settimeout(1.0)
        for _ in range(5):
            sock.sendto(packet, (peer, port))
            try:
                while True:
                    data = sock.recv(2048)
                    fields = data.split(b":", 5)
                    if (
                        len(fields) == 6
                        and int(fields[4], 0) & 0xFF == RECVMSG
                        and fields[5].rstrip(b"\0") == str(number).encode()
                    ):
                        return 0
            except TimeoutError:
                continue
    return 1


if __name__ == "__main__":
    sys.exit(main())
