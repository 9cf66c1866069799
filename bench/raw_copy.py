"""The raw copy the file-command benchmark holds ipmsg-tui against: no protocol, no checks.

    python bench/raw_copy.py serve IP PORT INBOX    # receive into INBOX until killed
    python bench/raw_copy.py send IP PORT PATH      # send a file or a folder, wait, exit

A stream is entries ``<name length u16><size u64><relative path>`` each followed by its
bytes, and an empty name to end it. The sender ``sendfile``\\ s big files, gives small ones
to one ``sendall`` with their header, then waits until the receiver has written everything
and closed. The receiver ``recv_into``\\ s a buffer and ``write``\\ s it out. A plain script
on purpose (no imports from the project): its start-up is the bare interpreter's.
"""

import os
import socket
import struct
import sys

HEADER = struct.Struct(">HQ")
SMALL = 64 * 1024
BUFFER = 1 << 20


def entries(root):
    if os.path.isfile(root):
        yield os.path.basename(root), root
        return
    top = os.path.basename(root.rstrip("/"))
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            yield os.path.join(top, os.path.relpath(path, root)), path


def send(ip, port, root):
    with socket.create_connection((ip, port)) as conn:
        for relative, path in entries(root):
            with open(path, "rb") as source:
                size = os.fstat(source.fileno()).st_size
                name = relative.encode()
                header = HEADER.pack(len(name), size) + name
                if size <= SMALL:
                    conn.sendall(header + os.pread(source.fileno(), size, 0))
                else:
                    conn.sendall(header)
                    conn.sendfile(source, 0, size)
        conn.sendall(HEADER.pack(0, 0))
        conn.shutdown(socket.SHUT_WR)
        conn.recv(1)  # the receiver closes once everything is written


def receive(conn, inbox):
    buffer = bytearray(BUFFER)
    view = memoryview(buffer)
    reader = conn.makefile("rb", buffering=BUFFER)
    made = set()
    while True:
        length, size = HEADER.unpack(reader.read(HEADER.size))
        if not length:
            return
        path = os.path.join(inbox, reader.read(length).decode())
        folder = os.path.dirname(path)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            while size:
                got = reader.readinto(view[: min(size, BUFFER)])
                if not got:
                    raise ConnectionError("stream ended early")
                written = 0
                while written < got:
                    written += os.write(fd, view[written:got])
                size -= got
        finally:
            os.close(fd)


def serve(ip, port, inbox):
    listener = socket.create_server((ip, port))
    print("ready", flush=True)
    while True:
        conn, _ = listener.accept()
        with conn:
            receive(conn, inbox)


if __name__ == "__main__":
    action, ip, port, path = sys.argv[1:5]
    (send if action == "send" else serve)(ip, int(port), path)
