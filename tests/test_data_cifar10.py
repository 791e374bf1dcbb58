"""CIFAR-10 reading, the Split container and the dataset dispatcher, on fake files in the real format."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from cifar_fixture import CLASSES, TEST_ROWS, TRAIN_ROWS, cifar_files, write_cifar_folder
from resnet_edu.data import (CIFAR10_MEAN, CIFAR10_STD, DataCorrupt, DataUnavailable, Split, dataset_mean_std,
                             load_cifar10, load_dataset, train_val_split)

# The real-image subset that sits beside a checkout (../shared), when it does; the test skips otherwise.
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "cifar10-subset" / "cifar-10-batches-py"


def test_reads_every_row_and_ignores_num_cases_per_batch(tmp_path: Path) -> None:
    write_cifar_folder(tmp_path)
    train, test = load_cifar10(tmp_path)
    assert len(train) == sum(TRAIN_ROWS) and len(test) == TEST_ROWS  # meta claims 10,000 per batch
    assert train.images.dtype == torch.uint8 and train.images.shape == (sum(TRAIN_ROWS), 3, 32, 32)
    assert train.labels.dtype == torch.int64 and test.labels.shape == (TEST_ROWS,)
    assert train.classes == CLASSES and train.name == "cifar10" and not train.synthetic


def test_pixels_are_channel_major_rows(tmp_path: Path) -> None:
    write_cifar_folder(tmp_path)
    _, content = cifar_files()
    train, test = load_cifar10(tmp_path)
    # The 8th training image is row 0 of data_batch_2 (data_batch_1 has 7 rows).
    data, labels = content["data_batch_2"]
    row = torch.from_numpy(data[0])
    assert torch.equal(train.images[7, 0].flatten(), row[:1024])  # red plane first
    assert torch.equal(train.images[7, 2].flatten(), row[2048:])  # then green, then blue
    assert train.labels[7].item() == labels[0]
    data, labels = content["test_batch"]
    assert torch.equal(test.images.flatten(1), torch.from_numpy(data))
    assert test.labels.tolist() == labels


def test_accepts_the_batches_folder_itself(tmp_path: Path) -> None:
    folder = write_cifar_folder(tmp_path)
    train, _ = load_cifar10(folder)
    assert len(train) == sum(TRAIN_ROWS)


def test_missing_data_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(DataUnavailable) as info:
        load_cifar10(tmp_path / "nowhere")
    message = str(info.value)
    assert f"python -m resnet_edu download --data-dir {tmp_path / 'nowhere'}" in message
    assert "cifar-10-batches-py" in message and "--dataset synthetic" in message
    assert len(message.splitlines()) <= 2


def test_partly_missing_folder_names_the_missing_files(tmp_path: Path) -> None:
    folder = write_cifar_folder(tmp_path)
    (folder / "test_batch").unlink()
    with pytest.raises(DataUnavailable, match="test_batch"):
        load_cifar10(tmp_path)


def test_download_flag_calls_the_downloader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def fake_download(data_dir: Path) -> Path:
        calls.append(data_dir)
        return write_cifar_folder(data_dir)

    monkeypatch.setattr("resnet_edu.data.dataset.download_cifar10", fake_download)
    train, _ = load_cifar10(tmp_path, download=True)
    assert calls == [tmp_path] and len(train) == sum(TRAIN_ROWS)


def _corrupt(tmp_path: Path, name: str, raw: bytes) -> None:
    folder = write_cifar_folder(tmp_path)
    (folder / name).write_bytes(raw)


def _batch(**override: object) -> bytes:
    batch = {b"data": np.zeros((4, 3072), np.uint8), b"labels": [0, 1, 2, 3]}
    batch.update({k.encode(): v for k, v in override.items()})
    return pickle.dumps(batch, protocol=2)


@pytest.mark.parametrize("raw, words", [
    (cifar_files()[0]["data_batch_3"][:500], "cannot unpickle"),  # truncated download
    (b"<html>404 not found</html>", "cannot unpickle"),
    (_batch(data=np.zeros((4, 3000), np.uint8)), "3072"),
    (_batch(data=np.zeros((4, 3072), np.float32)), "uint8"),
    (_batch(labels=[0, 1, 2]), "labels"),
    (_batch(labels=[0, 1, 2, 10]), "labels outside"),
    (pickle.dumps([1, 2, 3], protocol=2), "dict"),
], ids=["truncated", "html", "wrong-width", "float-data", "short-labels", "label-10", "not-a-dict"])
def test_corrupt_batch_gives_a_clear_error(tmp_path: Path, raw: bytes, words: str) -> None:
    _corrupt(tmp_path, "data_batch_3", raw)
    with pytest.raises(DataCorrupt, match=words) as info:
        load_cifar10(tmp_path)
    assert "data_batch_3" in str(info.value)
    assert isinstance(info.value, DataUnavailable)  # the CLI prints both the same way


def test_corrupt_meta_gives_a_clear_error(tmp_path: Path) -> None:
    _corrupt(tmp_path, "batches.meta", pickle.dumps({b"label_names": [b"cat"]}, protocol=2))
    with pytest.raises(DataCorrupt, match="label_names"):
        load_cifar10(tmp_path)


class _Exploit:
    def __reduce__(self) -> tuple:
        return (os.system, ("echo pwned > /dev/null",))


def test_pickle_with_code_is_refused_not_run(tmp_path: Path) -> None:
    _corrupt(tmp_path, "data_batch_1", pickle.dumps({b"data": _Exploit()}, protocol=2))
    with pytest.raises(DataCorrupt, match="unexpected object"):
        load_cifar10(tmp_path)


def _split(n: int, seed: int = 0) -> Split:
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 3, 32, 32), generator=g, dtype=torch.uint8)
    return Split(images, torch.arange(n) % 10, CLASSES, name="cifar10", synthetic=False)


def test_train_val_split_is_disjoint_complete_and_deterministic() -> None:
    full = _split(200)
    train, val = train_val_split(full, val_size=50, seed=3)
    assert (len(train), len(val)) == (150, 50)
    # Labels here are unique per image index mod 10; use pixels to identify images.
    ids = lambda s: {tuple(img.flatten()[:16].tolist()) for img in s.images}  # noqa: E731
    assert ids(train).isdisjoint(ids(val)) and ids(train) | ids(val) == ids(full)
    again, _ = train_val_split(full, val_size=50, seed=3)
    assert torch.equal(again.images, train.images)
    other, _ = train_val_split(full, val_size=50, seed=4)
    assert not torch.equal(other.images, train.images)
    assert train.classes == full.classes and train.name == "cifar10"


def test_train_val_split_default_is_45k_5k() -> None:
    # 50,000 views of one image: the index arithmetic is what is tested, not pixels.
    images = torch.zeros(1, 3, 32, 32, dtype=torch.uint8).expand(50000, 3, 32, 32)
    labels = torch.arange(50000) % 10
    train, val = train_val_split(Split(images, labels, CLASSES, "cifar10", False))
    assert (len(train), len(val)) == (45000, 5000)


def test_train_val_split_rejects_impossible_sizes() -> None:
    with pytest.raises(ValueError):
        train_val_split(_split(10), val_size=10)


def test_split_validates_shapes_and_dtypes() -> None:
    with pytest.raises(ValueError, match="uint8"):
        Split(torch.zeros(2, 3, 32, 32), torch.zeros(2, dtype=torch.int64), CLASSES, "cifar10", False)
    with pytest.raises(ValueError, match="labels"):
        Split(torch.zeros(2, 3, 32, 32, dtype=torch.uint8), torch.zeros(3, dtype=torch.int64), CLASSES,
              "cifar10", False)


def test_split_to_and_repr() -> None:
    split = _split(12)
    moved = split.to("cpu")
    assert len(moved) == 12 and moved.images.device.type == "cpu" and moved.classes == split.classes
    assert "n=12" in repr(split) and "cifar10" in repr(split)


def test_subset_is_class_balanced_deterministic_and_ordered() -> None:
    shuffle = torch.randperm(100, generator=torch.Generator().manual_seed(0))
    labels = torch.tensor([0] * 50 + [1] * 5 + [2] * 30 + [3] * 15)[shuffle]
    images = torch.arange(100, dtype=torch.uint8).view(100, 1, 1, 1).expand(100, 3, 32, 32).contiguous()
    split = Split(images, labels, ("a", "b", "c", "d"), "synthetic", True)
    sub = split.subset(20)
    assert len(sub) == 20 and sub.labels.bincount().tolist() == [5, 5, 5, 5]
    index = sub.images[:, 0, 0, 0].long()
    assert torch.equal(index, index.sort().values)  # original order kept
    assert torch.equal(sub.labels, labels[index])  # images and labels stay paired
    assert torch.equal(split.subset(20).images, sub.images)
    bigger = split.subset(40)  # class "b" has only 5: the others share the rest
    assert bigger.labels.bincount().tolist() == [12, 5, 12, 11]
    assert len(split.subset(1000)) == 100 and len(split.subset(0)) == 0


def test_load_dataset_dispatches_and_names_the_choices(tmp_path: Path) -> None:
    write_cifar_folder(tmp_path)
    train, test = load_dataset("cifar10", tmp_path)
    assert len(train) == sum(TRAIN_ROWS) and len(test) == TEST_ROWS
    train, test = load_dataset("synthetic", None, n_train=20, n_test=10)
    assert train.synthetic and len(train) == 20 and len(test) == 10
    with pytest.raises(ValueError, match="cifar10, synthetic"):
        load_dataset("imagenet", tmp_path)
    assert dataset_mean_std("cifar10") == (CIFAR10_MEAN, CIFAR10_STD)


@pytest.mark.skipif(not REAL.is_dir(), reason="the shared real CIFAR-10 subset is not on this machine")
def test_real_cifar10_subset() -> None:
    train, test = load_cifar10(REAL)
    assert (len(train), len(test)) == (5170, 1017)
    assert train.images.dtype == torch.uint8 and train.labels.dtype == torch.int64
    assert train.classes == CLASSES
    assert set(test.labels.tolist()) == set(range(10))
    # A 10% random sample of the train set: its statistics are close to the constants.
    x = train.images.float() / 255
    assert torch.allclose(x.mean((0, 2, 3)), torch.tensor(CIFAR10_MEAN), atol=0.01)
    assert torch.allclose(x.std((0, 2, 3)), torch.tensor(CIFAR10_STD), atol=0.01)
