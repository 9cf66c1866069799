"""The key store: keys made once, kept 0600, reused; never made on the start-up path."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from ipmsg_tui.keystore import (
    KeyPair,
    KeyStoreError,
    key_folder,
    load_keys,
    load_or_create_keys,
    start_key_thread,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_nothing_there_loads_nothing_and_writes_nothing(tmp_path: Path) -> None:
    assert load_keys(tmp_path) is None
    assert not key_folder(tmp_path).exists()


def test_made_once_private_and_reused(tmp_path: Path) -> None:
    first = load_or_create_keys(tmp_path)
    assert first.key_2048.key_size == 2048 and first.key_1024.key_size == 1024
    folder = key_folder(tmp_path)
    assert _mode(folder) == 0o700
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["rsa1024.pem", "rsa2048.pem"]  # no temporary files left behind
    for path in folder.iterdir():
        assert _mode(path) == 0o600
        assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    again = load_keys(tmp_path)
    assert again is not None
    assert again.key_2048.private_numbers() == first.key_2048.private_numbers()
    assert again.key_1024.private_numbers() == first.key_1024.private_numbers()
    third = load_or_create_keys(tmp_path)
    assert third.key_2048.private_numbers() == first.key_2048.private_numbers()


def test_loosened_mode_is_tightened(tmp_path: Path) -> None:
    load_or_create_keys(tmp_path)
    path = key_folder(tmp_path) / "rsa2048.pem"
    path.chmod(0o644)
    assert load_keys(tmp_path) is not None
    assert _mode(path) == 0o600


def test_a_damaged_key_is_reported_never_replaced(tmp_path: Path) -> None:
    load_or_create_keys(tmp_path)
    path = key_folder(tmp_path) / "rsa1024.pem"
    path.write_bytes(b"not a key")
    with pytest.raises(KeyStoreError, match=r"rsa1024\.pem"):
        load_keys(tmp_path)
    with pytest.raises(KeyStoreError):
        load_or_create_keys(tmp_path)
    assert path.read_bytes() == b"not a key"


@pytest.mark.parametrize("damage", ["dmp1", "d", "iqmp"])
def test_a_key_whose_numbers_do_not_fit_is_refused(tmp_path: Path, damage: str) -> None:
    """A key file whose numbers were damaged (it still parses) is refused, not used to
    sign: the store skips OpenSSL's slow primality check of our own key, not this one."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    good = load_or_create_keys(tmp_path).key_2048.private_numbers()
    parts = {
        "p": good.p,
        "q": good.q,
        "d": good.d,
        "dmp1": good.dmp1,
        "dmq1": good.dmq1,
        "iqmp": good.iqmp,
    }
    parts[damage] += 2  # odd stays odd: a flipped bit, as on a damaged disk
    damaged = rsa.RSAPrivateNumbers(**parts, public_numbers=good.public_numbers).private_key(
        unsafe_skip_rsa_key_validation=True
    )
    path = key_folder(tmp_path) / "rsa2048.pem"
    path.write_bytes(
        damaged.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(KeyStoreError, match=r"rsa2048\.pem is damaged"):
        load_keys(tmp_path)


def test_a_key_of_the_wrong_size_is_refused(tmp_path: Path) -> None:
    load_or_create_keys(tmp_path)
    folder = key_folder(tmp_path)
    (folder / "rsa1024.pem").write_bytes((folder / "rsa2048.pem").read_bytes())
    with pytest.raises(KeyStoreError, match="RSA-1024"):
        load_keys(tmp_path)


def test_background_thread_makes_them(tmp_path: Path) -> None:
    done = threading.Event()
    got: list[KeyPair] = []
    errors: list[Exception] = []

    def ready(keys: KeyPair) -> None:
        got.append(keys)
        done.set()

    def failed(error: Exception) -> None:
        errors.append(error)
        done.set()

    thread = start_key_thread(tmp_path, ready, failed)
    assert not thread.daemon  # a command ending first still saves them
    assert done.wait(60)
    assert not errors and len(got) == 1
    loaded = load_keys(tmp_path)
    assert loaded is not None
    assert loaded.key_2048.private_numbers() == got[0].key_2048.private_numbers()


def test_two_makers_at_once_agree_on_one_key(tmp_path: Path) -> None:
    results: list[KeyPair] = []
    threads = [
        threading.Thread(target=lambda: results.append(load_or_create_keys(tmp_path)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 2
    assert results[0].key_2048.private_numbers() == results[1].key_2048.private_numbers()
    assert results[0].key_1024.private_numbers() == results[1].key_1024.private_numbers()


def test_failure_is_reported_to_the_caller(tmp_path: Path) -> None:
    (tmp_path / "keys").write_text("a file where the folder should be")
    errors: list[Exception] = []
    thread = start_key_thread(tmp_path, lambda keys: None, errors.append)
    thread.join(60)
    assert len(errors) == 1 and isinstance(errors[0], OSError)
