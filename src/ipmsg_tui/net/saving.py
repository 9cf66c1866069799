"""The receiving side on disk: ``.part`` files and folders, and the rename when complete.

Every name here is one component already cleaned by :mod:`ipmsg_tui.protocol.safenames`, and
every file or folder is created exclusively (``O_EXCL``, ``O_NOFOLLOW``, ``mkdir``), so
nothing outside the chosen folder is written and nothing already there is overwritten. A
download becomes its final name only when complete (``name (1).ext`` on a clash).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..i18n import N_
from ..protocol.safenames import clean_component, unique_name
from ..reasons import Reason, ReasonedError, known

log = logging.getLogger(__name__)

PART_SUFFIX = ".part"
UNSAFE = known(N_("unsafe name {name!r}"))
CANNOT_USE = known(N_("cannot use {folder}: {error}"))
NOT_A_FOLDER = known(N_("{folder} is not a folder"))
CANNOT_WRITE = known(N_("cannot write to {folder}: {error}"))
NO_TEMPORARY_NAME = known(N_("no free temporary name for {name} in {folder}"))
NO_NAME = known(N_("no free name for {name} in {folder}"))
A_LINK = known(N_("{path} is a link"))
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_REOPEN = os.O_RDWR | getattr(os, "O_NOFOLLOW", 0)


class SaveError(ReasonedError):
    """The download cannot be written; the message says why."""


def _os_said(template: str, folder: Path, error: OSError) -> Reason:
    return Reason(template, {"folder": str(folder), "error": error.strerror or str(error)})


def _no_name(template: str, name: str, folder: Path) -> Reason:
    return Reason(template, {"name": name, "folder": str(folder)})


def _check_component(name: str) -> str:
    if clean_component(name) != name:  # a bug upstream, never a network name
        raise SaveError(Reason(UNSAFE, {"name": name}))
    return name


def prepare_folder(folder: Path) -> Path:
    """The download folder, created if needed, as an absolute path without links."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        resolved = folder.resolve(strict=True)
    except OSError as error:
        raise SaveError(_os_said(CANNOT_USE, folder, error)) from None
    if not resolved.is_dir():
        raise SaveError(Reason(NOT_A_FOLDER, {"folder": str(folder)}))
    try:  # read-only mounts and missing permissions show only when writing
        with tempfile.TemporaryFile(dir=resolved):
            pass
    except OSError as error:
        raise SaveError(_os_said(CANNOT_WRITE, folder, error)) from None
    return resolved


def _taken(folder: Path, name: str) -> bool:
    return os.path.lexists(folder / name)


def new_part_file(folder: Path, name: str, reserved: set[Path]) -> tuple[Path, int]:
    """A new, empty ``name.part`` (numbered if taken); returns its path and a write fd."""
    _check_component(name)
    for _ in range(100):
        part_name = unique_name(
            name + PART_SUFFIX,
            lambda n: _taken(folder, n) or folder / n in reserved,
        )
        path = folder / part_name
        try:
            return path, os.open(path, _CREATE, 0o644)
        except FileExistsError:
            continue  # created by someone else just now: take the next number
    raise SaveError(_no_name(NO_TEMPORARY_NAME, name, folder))


def reopen_part_file(path: Path, keep: bool) -> tuple[int, int]:
    """Open an existing ``.part`` to continue (``keep``) or restart it: (fd, bytes kept)."""
    try:
        fd = os.open(path, _REOPEN)
    except FileNotFoundError:
        return os.open(path, _CREATE, 0o644), 0
    size = os.fstat(fd).st_size
    if not keep:
        os.ftruncate(fd, 0)
        size = 0
    os.lseek(fd, size, os.SEEK_SET)
    return fd, size


def hash_prefix(fd: int, length: int) -> hashlib._Hash:
    """SHA-256 state over the first ``length`` bytes of ``fd`` (the part kept for a resume)."""
    digest = hashlib.sha256()
    position = 0
    while position < length:
        chunk = os.pread(fd, min(1 << 20, length - position), position)
        if not chunk:
            break
        digest.update(chunk)
        position += len(chunk)
    return digest


def finish_file(part: Path, folder: Path, name: str, mtime: int | None) -> Path:
    """Give a complete ``.part`` its final name (never replacing a file) and its mtime."""
    _check_component(name)
    if mtime is not None:
        with contextlib.suppress(OSError, OverflowError, ValueError):
            os.utime(part, (mtime, mtime), follow_symlinks=False)
    for _ in range(100):
        final = folder / unique_name(name, lambda n: _taken(folder, n))
        try:
            os.link(part, final)  # fails if ``final`` appeared meanwhile: no overwrite
        except FileExistsError:
            continue
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
            if _taken(folder, final.name):  # no hard links here (FAT, some mounts): rename
                continue
            os.rename(part, final)
            return final
        os.unlink(part)
        return final
    raise SaveError(_no_name(NO_NAME, name, folder))


def new_part_folder(folder: Path, name: str, reserved: set[Path]) -> Path:
    """A new, empty ``name.part`` folder (numbered if taken) to build a received tree in."""
    _check_component(name)
    for _ in range(100):
        part_name = unique_name(
            name + PART_SUFFIX, lambda n: _taken(folder, n) or folder / n in reserved
        )
        path = folder / part_name
        try:
            path.mkdir(mode=0o755)
        except FileExistsError:
            continue
        return path
    raise SaveError(_no_name(NO_TEMPORARY_NAME, name, folder))


def clear_part_folder(path: Path) -> None:
    """Empty a ``.part`` folder for a fresh attempt (rmtree never follows links)."""
    if path.is_symlink():
        raise SaveError(Reason(A_LINK, {"path": str(path)}))
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(mode=0o755)


def tree_path(root: Path, parts: Sequence[str]) -> Path:
    return root.joinpath(*(_check_component(p) for p in parts))


def create_in_tree(root: Path, parts: Sequence[str]) -> int:
    """A new file at ``root/parts...`` (its folders exist: the stream created them)."""
    return os.open(tree_path(root, parts), _CREATE, 0o644)


def create_in(folder: Path, name: str) -> tuple[Path, int]:
    """A new file ``name`` in ``folder`` (a folder of the tree already made safe); its path
    and a write fd. Checks only the last name: a stream of thousands of files in the same
    folder need not check the folder's path again for each."""
    path = folder / _check_component(name)
    return path, os.open(path, _CREATE, 0o644)


def make_dir_in(folder: Path, name: str) -> Path:
    path = folder / _check_component(name)
    path.mkdir(mode=0o755)
    return path


def set_fd_mtime(fd: int, mtime: int | None) -> None:
    """Like :func:`set_mtime`, on an open file: no second look-up of its path."""
    if mtime is not None:
        with contextlib.suppress(OSError, OverflowError, ValueError):
            os.utime(fd, (mtime, mtime))


def make_dir_in_tree(root: Path, parts: Sequence[str]) -> Path:
    path = tree_path(root, parts)
    path.mkdir(mode=0o755)
    return path


def set_mtime(path: Path, mtime: int | None) -> None:
    if mtime is not None:
        with contextlib.suppress(OSError, OverflowError, ValueError):
            os.utime(path, (mtime, mtime), follow_symlinks=False)


def finish_folder(part: Path, folder: Path, name: str, mtime: int | None) -> Path:
    """Rename a complete ``.part`` folder to its final name (never onto an existing one)."""
    _check_component(name)
    for _ in range(100):
        final = folder / unique_name(name, lambda n: _taken(folder, n))
        try:
            # Linux rename() would replace an *empty* folder that appeared just now; the
            # lexists check leaves that one race, which loses nothing.
            os.rename(part, final)
        except OSError as error:
            if error.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR):
                continue
            raise
        set_mtime(final, mtime)
        return final
    raise SaveError(_no_name(NO_NAME, name, folder))


def remove_part(part: Path, folder: Path) -> bool:
    """Remove a ``.part`` file or folder we created in ``folder`` (a download given up).
    Anything else (a link, another name, a path elsewhere) is left alone; False then."""
    if part.parent != folder or not part.name.endswith(PART_SUFFIX) or part.name == PART_SUFFIX:
        log.warning("not removing %s: not a .part of ours in %s", part, folder)
        return False
    try:
        mode = os.lstat(part).st_mode
        if stat.S_ISREG(mode):
            os.unlink(part)
        elif stat.S_ISDIR(mode):
            shutil.rmtree(part)  # never follows links inside
        else:
            return False
    except FileNotFoundError:
        return False
    except OSError as error:
        log.warning("cannot remove %s: %s", part, error.strerror or error)
        return False
    return True
