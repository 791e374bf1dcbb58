"""Reading and writing the files of one run folder, which may come from anyone.

Run folders are copied between machines and classmates, so every file in one is untrusted:
    - only regular files are opened: a symlink (to /dev/zero, to a file outside the store), a
      FIFO (whose open or read would wait for a writer forever) or a device is refused;
    - the folder itself is opened with O_NOFOLLOW and every file is opened relative to it
      (dir_fd), so a run folder that is a symlink is never followed either;
    - sizes are capped before anything is read, and reads stop at the cap anyway;
    - JSON nesting is counted by a linear scan before json.loads, whose recursion a
      100,000-deep file would exhaust (RecursionError);
    - writes never leave the folder: appends refuse a symlink (O_NOFOLLOW), everything else
      is a temporary file created with O_EXCL | O_NOFOLLOW, then os.replace, which swaps the
      directory entry (a planted link is replaced, never written through).
Every refusal is a FileProblem (a ValueError) whose message is one short reason.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import stat
import threading
import uuid
from pathlib import Path
from typing import Iterator

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_DIR_FD = os.open in os.supports_dir_fd and bool(_DIRECTORY)  # POSIX; Windows opens by full path
_SPECIAL = re.compile(rb'["\\\[\]{}]')  # the bytes that open or close strings and containers
CHUNK = 1 << 20  # bytes per read of a metrics file: memory stays bounded whatever its size


class FileProblem(ValueError):
    """A run file that is refused: its message is the reason ("a symlink, not a file")."""


def _why(err: OSError, name: str) -> FileProblem:
    if err.errno == errno.ELOOP or (err.errno == errno.EMLINK and _NOFOLLOW):  # O_NOFOLLOW on a link
        return FileProblem("a symlink, not a file (links are never followed)")
    if err.errno == errno.ENOENT:
        return FileProblem("missing")
    if err.errno == errno.ENOTDIR:
        return FileProblem("the run folder is not a folder")
    return FileProblem(err.strerror or type(err).__name__)


@contextlib.contextmanager
def folder(path: str | os.PathLike) -> Iterator[int | None]:
    """The run folder opened without following a link (a dir fd), or None where dir_fd is missing."""
    if not _DIR_FD:
        if Path(path).is_symlink():
            raise FileProblem("the run folder is a symlink (links are never followed)")
        yield None
        return
    try:
        fd = os.open(path, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC)
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENOTDIR) and Path(path).is_symlink():
            raise FileProblem("the run folder is a symlink (links are never followed)") from None
        raise _why(err, str(path)) from None
    try:
        yield fd
    finally:
        os.close(fd)


def _open(run_dir, name: str, flags: int, mode: int = 0o644, dir_fd: int | None = None) -> int:
    """os.open of `name` in the run folder, never through a link; FileProblem otherwise."""
    flags |= _NOFOLLOW | _CLOEXEC
    try:
        if dir_fd is not None:
            return os.open(name, flags, mode, dir_fd=dir_fd)
        return os.open(Path(run_dir) / name, flags, mode)
    except OSError as err:
        raise _why(err, name) from None


def _regular(fd: int) -> os.stat_result:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise FileProblem("not a regular file (a FIFO, a device or a folder)")
    return info


def read_bytes(run_dir: str | os.PathLike, name: str, limit: int) -> bytes:
    """A regular file's bytes, at most `limit` of them; FileProblem for anything else. Never blocks.

    O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer; fstat refuses it.
    The size is checked on the open file, and the read stops at limit + 1 bytes in case it grows.
    """
    with folder(run_dir) as dfd:
        fd = _open(run_dir, name, os.O_RDONLY | _NONBLOCK, dir_fd=dfd)
        try:
            if _regular(fd).st_size > limit:
                raise FileProblem(f"larger than {_size(limit)}")
            chunks, left = [], limit + 1
            while left > 0:
                chunk = os.read(fd, left)
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
        except OSError as err:
            raise _why(err, name) from None
        finally:
            os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise FileProblem(f"larger than {_size(limit)}")
    return data


def loads(data: bytes, max_depth: int):
    """JSON from untrusted bytes: nesting, encoding and NaN/Infinity checked; FileProblem otherwise."""
    if json_depth(data, max_depth) > max_depth:  # before json.loads, whose recursion a deep file exhausts
        raise FileProblem(f"nested deeper than {max_depth} levels")
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise FileProblem("not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise FileProblem(f"not valid JSON ({err.msg}, line {err.lineno})") from None
    except (ValueError, RecursionError) as err:  # NaN, a 5,000-digit number
        raise FileProblem((str(err).splitlines() or ["not valid JSON"])[0][:120]) from None


def read_json(run_dir: str | os.PathLike, name: str, limit: int, max_depth: int):
    return loads(read_bytes(run_dir, name, limit), max_depth)


def json_depth(data: bytes, stop: int) -> int:
    """How deep the JSON in `data` nests objects and arrays (stops counting past `stop`).

    One pass over the few bytes that matter (quotes, backslashes, brackets), linear in the size:
    a regular expression for whole strings would backtrack quadratically on a crafted file.
    """
    depth = deepest = 0
    in_string, skip = False, -1
    for m in _SPECIAL.finditer(data):
        i = m.start()
        if i == skip:  # the character after a backslash inside a string
            continue
        c = data[i:i + 1]
        if in_string:
            if c == b"\\":
                skip = i + 1
            elif c == b'"':
                in_string = False
        elif c == b'"':
            in_string = True
        elif c in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > stop:
                return deepest
        elif c in (b"]", b"}"):
            depth -= 1
    return deepest


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number a run file holds")


def _size(n: int) -> str:
    return f"{n // 1024} KiB" if n < 1 << 20 else f"{n >> 20} MiB"


class LineReader:
    """The complete lines appended to one file since the last call, read in bounded chunks.

    Keeps the file's identity and the byte offset read so far, so each byte is read once
    however often pages poll. A line longer than `max_line` is skipped (and counted) without
    being held in memory, even while it is still being written; a partial last line waits.
    """

    def __init__(self, max_line: int):
        self.max_line, self.restarts = max_line, -1
        self.reset(None)

    def reset(self, file) -> None:
        """Start over (a replaced or shortened file): `restarts` tells the caller to drop what it kept."""
        self.file, self.offset, self.pending, self.skipping, self.skipped = file, 0, b"", False, 0
        self.restarts += 1

    def read(self, run_dir: str | os.PathLike, name: str) -> list[bytes]:
        """New complete lines (without their newline); FileProblem when the file is refused."""
        with folder(run_dir) as dfd:
            fd = _open(run_dir, name, os.O_RDONLY | _NONBLOCK, dir_fd=dfd)
            try:
                info = _regular(fd)
                if (info.st_ino, info.st_dev) != self.file or info.st_size < self.offset:  # replaced or rewound
                    self.reset((info.st_ino, info.st_dev))
                lines: list[bytes] = []
                end = info.st_size  # what is there now; what is appended meanwhile waits for the next call
                os.lseek(fd, self.offset, os.SEEK_SET)
                while self.offset < end:
                    chunk = os.read(fd, min(CHUNK, end - self.offset))
                    if not chunk:
                        break
                    self.offset += len(chunk)
                    self._feed(chunk, lines)
                return lines
            except OSError as err:
                raise _why(err, name) from None
            finally:
                os.close(fd)

    def _feed(self, chunk: bytes, lines: list[bytes]) -> None:
        start = 0
        while True:
            nl = chunk.find(b"\n", start)
            if nl < 0:
                break
            if self.skipping:
                self.skipping = False
            elif len(self.pending) + nl - start <= self.max_line:
                lines.append(self.pending + chunk[start:nl])
            else:
                self.skipped += 1
            self.pending, start = b"", nl + 1
        if self.skipping:
            return
        self.pending += chunk[start:]
        if len(self.pending) > self.max_line:  # too long already: drop it, skip to its end
            self.pending, self.skipping = b"", True
            self.skipped += 1


# -- writing ------------------------------------------------------------------------------
def append(run_dir: str | os.PathLike, name: str, data: bytes) -> None:
    """Append to a regular file of the run folder (created if missing); never through a link."""
    with folder(run_dir) as dfd:
        fd = _open(run_dir, name, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NONBLOCK, dir_fd=dfd)
        try:
            _regular(fd)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        except OSError as err:
            if err.errno == errno.ENOSPC:
                raise  # a full disk stays an OSError: the trainer's callers say "failed" with it
            raise _why(err, name) from None
        finally:
            os.close(fd)


def replace(run_dir: str | os.PathLike, name: str, data: bytes, fsync: bool = False) -> None:
    """Write `name` atomically: a new temporary file beside it, then os.replace.

    The temporary file is created with O_EXCL | O_NOFOLLOW (a planted file or link of that name
    is never written through); os.replace swaps the directory entry, so a link planted as
    `name` is replaced, not followed. A reader sees the old file or the new one, never half.
    """
    tmp = f".{name}.{os.getpid()}.{threading.get_ident()}.{uuid.uuid4().hex[:8]}.tmp"
    with folder(run_dir) as dfd:
        fd = _open(run_dir, tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, dir_fd=dfd)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                if fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            if dfd is not None:
                os.replace(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
            else:
                os.replace(Path(run_dir) / tmp, Path(run_dir) / name)
        except BaseException:
            with contextlib.suppress(OSError):
                if dfd is not None:
                    os.unlink(tmp, dir_fd=dfd)
                else:
                    (Path(run_dir) / tmp).unlink()
            raise


def refused(run_dir: str | os.PathLike, names) -> dict[str, str]:
    """Which of `names` in the run folder are not regular files, and what they are instead."""
    bad = {}
    for name in names:
        try:
            mode = os.lstat(Path(run_dir) / name).st_mode
        except FileNotFoundError:
            continue
        except OSError as err:
            bad[name] = err.strerror or type(err).__name__
            continue
        if stat.S_ISLNK(mode):
            bad[name] = "a symlink, not a file (links are never followed)"
        elif not stat.S_ISREG(mode):
            bad[name] = "not a regular file (a FIFO, a device or a folder)"
    return bad
