"""Where game records come from: files, directories (walked in sorted order) and archives
(zip, tar, tar.gz/bz2/xz), each member yielded with a loader that reads it when asked.
"""

from __future__ import annotations

import os
import tarfile
import zipfile
from typing import Callable, Iterator

from . import limits
import functools

GAME_SUFFIXES = (".sgf", ".gib", ".ngf", ".ugf", ".ugi")  # what directory and archive walks read
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


# ---------------------------------------------------------------- sources


def iter_sources(path: str | os.PathLike) -> Iterator[tuple[str, Callable[[], bytes]]]:
    """Yield ``(source, load)`` for every SGF file under ``path``, in sorted order.

    ``path`` may be a file (read whatever its name), a directory (walked
    recursively; files ending in a GAME_SUFFIXES name, any case, and archives;
    symlinked files are read, symlinked directories are not followed) or a
    zip/tar archive (members with those endings, streamed one at a time). ``load()`` returns
    the bytes or raises OSError/archive errors; for a tar member it must be
    called before the iterator advances. A path, directory or archive that
    cannot be opened yields one pair whose ``load`` raises the error.
    """
    top = os.fsdecode(os.fspath(path))
    if os.path.isdir(top):
        yield from _walk(top)
    elif _archive_kind(top):
        yield from _archive_sources(top)
    else:
        yield top, functools.partial(_read_path, top)


def _archive_kind(name: str) -> str | None:
    low = name.lower()
    if low.endswith(".zip"):
        return "zip"
    if low.endswith(ARCHIVE_SUFFIXES):
        return "tar"
    return None


def _raiser(exc: BaseException) -> Callable[[], bytes]:
    def load() -> bytes:
        raise exc

    return load


def _read_path(path: str) -> bytes:
    size = os.stat(path).st_size
    if size > limits.MAX_FILE_BYTES:
        raise OSError(f"file too large ({size} bytes, limit {limits.MAX_FILE_BYTES})")
    with open(path, "rb") as f:
        return f.read()


def _sorted_entries(directory: str) -> list[os.DirEntry]:
    with os.scandir(directory) as it:
        return sorted(it, key=lambda e: e.name)


def _walk(top: str) -> Iterator[tuple[str, Callable[[], bytes]]]:
    """Depth-first, entries sorted by name; symlinked directories are skipped."""
    try:
        stack = [iter(_sorted_entries(top))]
    except OSError as exc:
        yield top, _raiser(exc)
        return
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                stack.append(iter(_sorted_entries(entry.path)))
                continue
            if entry.is_symlink() and entry.is_dir():
                continue  # not followed: avoids loops
        except OSError as exc:
            yield entry.path, _raiser(exc)
            continue
        if entry.name.lower().endswith(GAME_SUFFIXES):
            yield entry.path, functools.partial(_read_path, entry.path)
        elif _archive_kind(entry.name):
            yield from _archive_sources(entry.path)


def _archive_sources(path: str) -> Iterator[tuple[str, Callable[[], bytes]]]:
    if _archive_kind(path) == "zip":
        yield from _zip_sources(path)
    else:
        yield from _tar_sources(path)


def _zip_sources(path: str) -> Iterator[tuple[str, Callable[[], bytes]]]:
    try:
        zf = zipfile.ZipFile(path)
    except Exception as exc:  # BadZipFile, OSError, ...: the archive is unreadable
        yield path, _raiser(exc)
        return
    with zf:
        for info in zf.infolist():
            if info.is_dir() or not info.filename.lower().endswith(GAME_SUFFIXES):
                continue
            yield f"{path}!{info.filename}", functools.partial(_read_zip_member, zf, info)


def _read_zip_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > limits.MAX_FILE_BYTES:
        raise OSError(f"member too large ({info.file_size} bytes, limit {limits.MAX_FILE_BYTES})")
    return zf.read(info)


def _tar_sources(path: str) -> Iterator[tuple[str, Callable[[], bytes]]]:
    try:
        tf = tarfile.open(path, "r|*")  # streaming: one member at a time
    except Exception as exc:
        yield path, _raiser(exc)
        return
    with tf:
        while True:
            try:
                member = tf.next()
            except Exception as exc:  # corrupt or truncated stream
                yield path, _raiser(exc)
                return
            if member is None:
                return
            tf.members.clear()  # TarFile keeps every header otherwise
            if member.isfile() and member.name.lower().endswith(GAME_SUFFIXES):
                yield f"{path}!{member.name}", functools.partial(_read_tar_member, tf, member)


def _read_tar_member(tf: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    if member.size > limits.MAX_FILE_BYTES:
        raise OSError(f"member too large ({member.size} bytes, limit {limits.MAX_FILE_BYTES})")
    f = tf.extractfile(member)
    if f is None:
        raise OSError(f"member {member.name!r} has no data")
    return f.read()


def load_reason(exc: BaseException) -> str:
    """Why a file or archive member could not be loaded, for an ``Unreadable``."""
    return f"cannot read: {type(exc).__name__}: {exc}"


