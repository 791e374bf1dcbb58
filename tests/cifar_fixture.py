"""Tiny fake CIFAR-10 folders and archives in the exact original format, for tests.

Like the real files: protocol-2 pickles of dicts with bytes keys, `b"data"` a
uint8 numpy array (N, 3072) pickled under the name `numpy.core.multiarray` (as
in the 2009 files), and a batches.meta claiming 10,000 rows per batch, which
the loader must ignore: the fake batches have odd, unequal row counts.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import struct
import tarfile
from pathlib import Path

import numpy as np

FOLDER = "cifar-10-batches-py"
TRAIN_ROWS = (7, 5, 9, 3, 11)  # rows in data_batch_1..5: 35 in all
TEST_ROWS = 13
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


class _Python2Pickler(pickle._Pickler):  # the pure-Python pickler, whose dispatch table we can extend
    """Writes bytes as Python 2 `str` (BINSTRING opcodes), as in the real 2009 files."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj: bytes) -> None:
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str


def _pickle(obj: dict) -> bytes:
    buffer = io.BytesIO()
    _Python2Pickler(buffer, protocol=2).dump(obj)
    # numpy >= 2 names its reconstructor numpy._core; the real files say numpy.core.
    return buffer.getvalue().replace(b"numpy._core.multiarray", b"numpy.core.multiarray")


def batch_bytes(rows: int, seed: int, label: str = "batch") -> tuple[bytes, np.ndarray, list[int]]:
    """(pickle bytes, data (rows, 3072) uint8, labels) of one batch file."""
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, size=(rows, 3072), dtype=np.uint8)
    labels = [int(v) for v in rng.integers(0, 10, size=rows)]
    obj = {b"batch_label": label.encode(), b"labels": labels, b"data": data,
           b"filenames": [f"img_{seed}_{i}.png".encode() for i in range(rows)]}
    return _pickle(obj), data, labels


def meta_bytes() -> bytes:
    return _pickle({b"num_cases_per_batch": 10000, b"label_names": [c.encode() for c in CLASSES],
                    b"num_vis": 3072})


def cifar_files() -> tuple[dict[str, bytes], dict[str, tuple[np.ndarray, list[int]]]]:
    """({file name: bytes}, {file name: (data, labels)}) for a whole fake folder."""
    files, content = {"batches.meta": meta_bytes()}, {}
    for i, rows in enumerate(TRAIN_ROWS, start=1):
        raw, data, labels = batch_bytes(rows, seed=i, label=f"training batch {i} of 5")
        files[f"data_batch_{i}"], content[f"data_batch_{i}"] = raw, (data, labels)
    raw, data, labels = batch_bytes(TEST_ROWS, seed=99, label="testing batch 1 of 1")
    files["test_batch"], content["test_batch"] = raw, (data, labels)
    return files, content


def write_cifar_folder(root: Path) -> Path:
    """Write `root/cifar-10-batches-py/` with all seven files; return that folder."""
    folder = root / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for name, raw in cifar_files()[0].items():
        (folder / name).write_bytes(raw)
    return folder


def make_archive(members: dict[str, bytes] | None = None, links: dict[str, str] | None = None) -> bytes:
    """A .tar.gz like cifar-10-python.tar.gz; `members` overrides {path in archive: bytes}."""
    if members is None:
        members = {f"{FOLDER}/{name}": raw for name, raw in cifar_files()[0].items()}
        members[f"{FOLDER}/readme.html"] = b"<html>fake CIFAR-10</html>"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        folder = tarfile.TarInfo(FOLDER)
        folder.type, folder.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(folder)
        for name, raw in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return buffer.getvalue()


def md5(raw: bytes) -> str:
    return hashlib.md5(raw).hexdigest()
