"""Our RSA key pairs: made once, kept as PEM files (mode 0600) under the data folder.

Windows keeps the first key it saw for a host, so the keys must survive restarts: a new key
per run would break every conversation with it. Making an RSA-2048 key takes a noticeable
fraction of a second, so it never happens on the start-up path: :func:`load_keys` reads
what exists, and :func:`start_key_thread` makes missing keys in a background thread.

Two of our processes may start at once (the app and a ``send``): a key file is written
under a temporary name and linked into place, so the first one made wins and the other
process reads it instead of overwriting it.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

# cryptography is imported where a key is read or made: a command that finds no keys (or
# runs with encryption off) does not pay for importing it.
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

KEY_FOLDER = "keys"
_FILES = {2048: "rsa2048.pem", 1024: "rsa1024.pem"}
_PRIVATE_MODE = 0o600


class KeyStoreError(Exception):
    """A key file exists but cannot be used: the user must look (we never replace it)."""


@dataclass(frozen=True, slots=True)
class KeyPair:
    key_2048: rsa.RSAPrivateKey
    key_1024: rsa.RSAPrivateKey


def key_folder(data_dir: Path) -> Path:
    return data_dir / KEY_FOLDER


def load_keys(data_dir: Path) -> KeyPair | None:
    """Our keys if both files exist; None if one is missing; KeyStoreError if unusable."""
    folder = key_folder(data_dir)
    keys = [_read(folder / _FILES[bits], bits) for bits in (2048, 1024)]
    if keys[0] is None or keys[1] is None:
        return None
    return KeyPair(keys[0], keys[1])


def load_or_create_keys(data_dir: Path) -> KeyPair:
    """Our keys, made (and saved) first if missing. Slow when it makes them."""
    folder = key_folder(data_dir)
    from cryptography.hazmat.primitives.asymmetric import rsa

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    made: dict[int, rsa.RSAPrivateKey] = {}
    for bits in (2048, 1024):
        path = folder / _FILES[bits]
        key = _read(path, bits)
        if key is None:
            _write_once(path, rsa.generate_private_key(public_exponent=65537, key_size=bits))
            key = _read(path, bits)  # whichever process linked its key first
            if key is None:
                raise KeyStoreError(f"{path} vanished right after it was written")
        made[bits] = key
    return KeyPair(made[2048], made[1024])


def start_key_thread(
    data_dir: Path,
    ready: Callable[[KeyPair], None],
    failed: Callable[[Exception], None],
) -> threading.Thread:
    """Make or load the keys in a thread; ``ready`` or ``failed`` runs in it.

    Not a daemon: a command that ends before the keys are made (a first ``send``) waits for
    them to be saved, once, rather than leave without them and make new ones every run."""
    # cryptography is imported here, not in the thread: a daemon thread still importing its
    # native module when the interpreter exits aborts the process ("exception not rethrown").
    from cryptography.hazmat.primitives import serialization  # noqa: F401
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: F401

    def work() -> None:
        try:
            keys = load_or_create_keys(data_dir)
        except (OSError, KeyStoreError) as error:
            failed(error)
            return
        ready(keys)

    thread = threading.Thread(target=work, name="ipmsg-keys")
    thread.start()
    return thread


def _read(path: Path, bits: int) -> rsa.RSAPrivateKey | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise KeyStoreError(f"cannot read {path}: {error.strerror}") from None
    if path.stat().st_mode & 0o077:  # someone loosened it: tighten, do not refuse
        path.chmod(_PRIVATE_MODE)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        # OpenSSL's own check of a loaded key tests both primes for primality: 54 ms for
        # RSA-2048 here, longer than a whole raw `send`. The file is our own key (made by
        # load_or_create_keys, mode 0600), so its primes are not in doubt; that its numbers
        # still fit together (a damaged file) is checked below, in microseconds.
        key = serialization.load_pem_private_key(
            data, password=None, unsafe_skip_rsa_key_validation=True
        )
    except (ValueError, TypeError):
        raise KeyStoreError(f"{path} is not a usable private key; move it away") from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size != bits:
        raise KeyStoreError(f"{path} is not an RSA-{bits} key; move it away")
    if not _consistent(key):
        raise KeyStoreError(f"{path} is damaged (its numbers do not fit together); move it away")
    return key


def _consistent(key: rsa.RSAPrivateKey) -> bool:
    """Whether the private numbers make one RSA key: n = pq, d inverts e, and the CRT
    values (which signing and decrypting use) follow from them."""
    numbers = key.private_numbers()
    p, q, d = numbers.p, numbers.q, numbers.d
    n, e = numbers.public_numbers.n, numbers.public_numbers.e
    if p < 3 or q < 3 or p == q or p * q != n:
        return False
    carmichael = (p - 1) * (q - 1) // math.gcd(p - 1, q - 1)
    return (
        e * d % carmichael == 1
        and numbers.dmp1 == d % (p - 1)
        and numbers.dmq1 == d % (q - 1)
        and numbers.iqmp * q % p == 1
    )


def _write_once(path: Path, key: rsa.RSAPrivateKey) -> None:
    from cryptography.hazmat.primitives import serialization

    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _PRIVATE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process was first: keep theirs
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
