"""Fetch CIFAR-10 (163 MiB) once, resumably, and unpack it safely.

Standard library only (urllib, tarfile) plus tqdm for the progress bar, so the
download works wherever the package installs. Steps, each safe to interrupt:

    DIR/cifar-10-python.tar.gz.part  ──(complete, MD5 ok)──►  DIR/cifar-10-python.tar.gz
        ──(checked members, extracted to a temp folder, renamed)──►  DIR/cifar-10-batches-py/
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import shutil
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from tqdm import tqdm

from .cifar10 import ALL_FILES, FOLDER, find_batches_dir
from .split import DataCorrupt, DataUnavailable

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
ARCHIVE = "cifar-10-python.tar.gz"
CHUNK = 1 << 20  # bytes per read: 1 MiB keeps progress smooth and memory flat
MAX_BYTES = 200 << 20  # the archive is 163 MiB (170,498,071 bytes); a server sending more is refused

# on_progress(done_bytes, total_bytes); total is None when the server sends no length.
ProgressFn = Callable[[int, int | None], None]


def download_cifar10(data_dir: str | os.PathLike[str], url: str = CIFAR10_URL, md5: str = CIFAR10_MD5,
                     retries: int = 3, progress: bool = True, timeout: float = 30,
                     on_progress: ProgressFn | None = None, backoff: float = 1.0,
                     max_bytes: int = MAX_BYTES) -> Path:
    """Make sure `data_dir/cifar-10-batches-py` holds CIFAR-10 and return that folder.

    Args:
        data_dir: the folder that gets the archive and the extracted folder (created if needed).
        url, md5: where to fetch the archive and its expected MD5 (tests serve their own).
        retries: further attempts after the first fails (network error or wrong MD5).
        progress: show a tqdm bar (bytes, rate, ETA) on stderr.
        timeout: seconds a connection may stay silent before it counts as failed.
        on_progress: called as on_progress(done_bytes, total_bytes) after every chunk,
            so an app can draw its own bar.
        backoff: seconds before the first retry; doubles each retry.
        max_bytes: the most the archive may be; a longer answer is refused, not stored.

    Nothing is fetched when the extracted folder is complete, and the archive is not
    fetched again when it is on disk with the right MD5. Raises DataUnavailable (its
    message says how to get the data another way) when every attempt fails, and
    DataCorrupt (a DataUnavailable) when the archive keeps failing its MD5 or holds
    members outside cifar-10-batches-py/.
    """
    data_dir = Path(data_dir)
    if data_dir.exists() and not data_dir.is_dir():
        raise DataUnavailable(f"{data_dir} is a file, not a folder: give --data-dir a folder.", data_dir)
    if (found := find_batches_dir(data_dir)) is not None:
        return found
    data_dir.mkdir(parents=True, exist_ok=True)
    archive = data_dir / ARCHIVE
    if not (archive.is_file() and file_md5(archive) == md5):
        _fetch(url, archive, md5, retries, timeout, backoff, progress, on_progress, max_bytes)
    return extract_cifar10(archive, data_dir)


def file_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)  # an integrity check, not security: allowed under FIPS
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(url: str, archive: Path, md5: str, retries: int, timeout: float, backoff: float,
           progress: bool, on_progress: ProgressFn | None, max_bytes: int = MAX_BYTES) -> None:
    """Download `url` to `archive` through a resumable `.part` file, verifying its MD5.

    The `.part` never grows past `max_bytes`: a Content-Length over it is refused before a
    byte is written; a body without one is cut at the cap; a body longer than its declared
    length is read only that far (http.client), then fails the MD5. After a refusal no
    `.part` is left; after a dropped connection it stays, for the Range resume.
    """
    part = archive.with_name(archive.name + ".part")
    if part.is_symlink():  # planted: writing through it would overwrite whatever it points to
        raise DataUnavailable(f"{part} is a symbolic link; refusing to write through it. "
                              f"Delete it and download again.", archive.parent)
    last: Exception | None = None
    bad_md5 = ""
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            _transfer(url, part, timeout, progress, on_progress, max_bytes)
        except HTTPError as err:
            last = err
            if 400 <= err.code < 500 and err.code not in (408, 429):
                break  # not found / forbidden: asking again will not help
            continue
        except TooLarge as err:
            # Not retried, and the .part goes: its bytes came from an answer longer than the
            # archive can be, so resuming from them could only fail the MD5 (and a retry of a
            # stream that never ends would fill the disk cap by cap).
            part.unlink(missing_ok=True)
            raise DataUnavailable(f"Refused the download from {url}: {err}; the partial file was deleted.",
                                  archive.parent) from err
        except (URLError, OSError, http.client.HTTPException) as err:  # URLError, timeouts, resets
            last = err
            continue
        got = file_md5(part)
        if got == md5:
            os.replace(part, archive)
            return
        # Truncated or corrupted beyond what resuming can fix: start from zero.
        part.unlink()
        bad_md5, last = f"expected MD5 {md5}, got {got}", None
    if last is None:
        raise DataCorrupt(f"The archive from {url} failed its MD5 check {retries + 1} times ({bad_md5}).",
                          archive.parent)
    raise DataUnavailable(f"Could not download CIFAR-10 from {url} ({type(last).__name__}: {last}).",
                          archive.parent) from last


class TooLarge(Exception):
    """The server sends more than the archive can be."""


def _open_part(part: Path, append: bool):
    """Open `part` for writing without following a symbolic link (O_NOFOLLOW), owner read-write."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(part, flags, 0o600)
    except OSError as err:
        if part.is_symlink():
            raise DataUnavailable(f"{part} is a symbolic link; refusing to write through it. "
                                  f"Delete it and download again.", part.parent) from err
        raise
    return os.fdopen(fd, "ab" if append else "wb")


def _transfer(url: str, part: Path, timeout: float, progress: bool, on_progress: ProgressFn | None,
              max_bytes: int = MAX_BYTES) -> None:
    """One attempt: append to `part` from where it stops (HTTP Range), or restart it."""
    have = os.lstat(part).st_size if part.exists() or part.is_symlink() else 0
    headers = {"User-Agent": "resnet_edu"}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        response = urlopen(Request(url, headers=headers), timeout=timeout)
    except HTTPError as err:
        if err.code == 416 and have:  # nothing left to send: `part` is complete, the MD5 decides
            return
        raise
    with response:
        if response.status == 206:
            if not response.headers.get("Content-Range", "").startswith(f"bytes {have}-"):
                part.unlink()
                raise ConnectionError("server answered a different byte range")
            mode = "ab"
        else:  # 200: the server ignored Range and sends everything again
            have, mode = 0, "wb"
        length = response.headers.get("Content-Length")
        total = have + int(length) if length else None
        if total is not None and total > max_bytes:
            raise TooLarge(f"the server offers {total:,} bytes, more than the {max_bytes:,} the archive can be")
        done = have
        with _open_part(part, mode == "ab") as f, tqdm(total=total, initial=have, unit="B", unit_scale=True,
                                                       unit_divisor=1024, desc="CIFAR-10",
                                                       disable=not progress) as bar:
            while chunk := response.read(CHUNK):
                if done + len(chunk) > max_bytes:
                    raise TooLarge(f"the server sent more than the {max_bytes:,} bytes the archive can be")
                f.write(chunk)
                done += len(chunk)
                bar.update(len(chunk))
                if on_progress is not None:
                    on_progress(done, total)
    if total is not None and done < total:
        raise ConnectionError(f"connection closed after {done} of {total} bytes")


def extract_cifar10(archive: Path, data_dir: Path) -> Path:
    """Unpack `archive` into `data_dir/cifar-10-batches-py` all at once, or not at all."""
    target = data_dir / FOLDER
    # A temp folder beside the target: same filesystem, so the final rename is atomic.
    tmp = Path(tempfile.mkdtemp(prefix=".cifar-extract-", dir=data_dir))
    try:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                members = tar.getmembers()
                for member in members:
                    _check_member(member, archive)
                # Belt and braces: tarfile's own "data" filter refuses the same things
                # (Python >= 3.11.4; older Pythons rely on the check above alone).
                if hasattr(tarfile, "data_filter"):
                    tar.extractall(tmp, members=members, filter="data")
                else:
                    tar.extractall(tmp, members=members)
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as err:
            raise DataCorrupt(f"{archive} cannot be extracted ({err}). Delete it and download again.",
                              data_dir) from err
        missing = [f for f in ALL_FILES if not (tmp / FOLDER / f).is_file()]
        if missing:
            raise DataCorrupt(f"{archive} lacks {FOLDER}/{', '.join(missing)}. Delete it and download again.",
                              data_dir)
        if target.exists() or target.is_symlink():
            # Only an incomplete copy can be here (a complete one returns early): move it
            # into the temp folder, which is deleted below.
            os.replace(target, tmp / "replaced-incomplete-copy")
        os.replace(tmp / FOLDER, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _check_member(member: tarfile.TarInfo, archive: Path) -> None:
    """Refuse anything but plain files and folders inside cifar-10-batches-py/."""
    path = PurePosixPath(member.name)
    problem = ""
    if path.is_absolute() or "\\" in member.name or ":" in member.name:
        problem = "an absolute or non-POSIX path"
    elif ".." in path.parts:
        problem = "a '..' component"
    elif not (member.isfile() or member.isdir()):
        problem = "a link or special file"
    elif not path.parts or path.parts[0] != FOLDER:
        problem = f"a path outside {FOLDER}/"
    if problem:
        raise DataCorrupt(f"{archive} has an unsafe member {member.name!r} ({problem}); "
                          f"refusing to extract it.", archive.parent)
