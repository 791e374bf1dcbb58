"""v1 §4.2 augmentation as batched tensor functions: crop, flip, normalise."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from resnet_edu.data import normalize, paper_augment, random_crop, random_flip


def _images(n: int = 64, seed: int = 0) -> torch.Tensor:
    # Nonzero pixels (1..255) so a zero in a crop can only come from the padding.
    g = torch.Generator().manual_seed(seed)
    return torch.randint(1, 256, (n, 3, 32, 32), generator=g, dtype=torch.uint8)


def _gen(seed: int = 0, device: str = "cpu") -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


@pytest.mark.parametrize("fn", [random_crop, random_flip, paper_augment])
def test_shape_and_dtype_kept(fn) -> None:
    images = _images()
    out = fn(images, _gen())
    assert out.shape == images.shape and out.dtype == torch.uint8
    floats = images.float()
    assert fn(floats, _gen()).dtype == torch.float32


@pytest.mark.parametrize("fn", [random_crop, random_flip, paper_augment])
def test_same_generator_state_same_augmentation(fn) -> None:
    images = _images()
    assert torch.equal(fn(images, _gen(5)), fn(images, _gen(5)))
    assert not torch.equal(fn(images, _gen(5)), fn(images, _gen(6)))


def test_crop_is_a_window_of_the_zero_padded_image() -> None:
    images = _images(n=400)
    out = random_crop(images, _gen(), padding=4)
    padded = F.pad(images, (4, 4, 4, 4))  # (N, 3, 40, 40)
    # All 81 windows of every padded image: (N, 3, 9, 9, 32, 32).
    windows = padded.unfold(2, 32, 1).unfold(3, 32, 1)
    match = (windows == out[:, :, None, None]).all(dim=-1).all(dim=-1).all(dim=1)  # (N, 9, 9)
    assert (match.sum(dim=(1, 2)) == 1).all()  # exactly one offset per image
    offsets = match.flatten(1).float().argmax(dim=1)
    assert len(offsets.unique()) > 60  # offsets spread over the 9×9 grid
    assert (offsets == 40).float().mean() < 0.1  # the centre crop (no shift) is not special


def test_crop_without_padding_is_identity() -> None:
    images = _images()
    assert torch.equal(random_crop(images, _gen(), padding=0), images)


def test_flip_mirrors_about_half_of_the_images() -> None:
    images = _images(n=4000)
    out = random_flip(images, _gen())
    same = (out == images).flatten(1).all(dim=1)
    mirrored = (out == images.flip(3)).flatten(1).all(dim=1)
    assert (same ^ mirrored).all()  # each image is either untouched or mirrored, never both
    assert 0.46 < mirrored.float().mean().item() < 0.54  # p = 0.5; 4000 draws: σ ≈ 0.008


def test_normalize_gives_zero_mean_unit_std() -> None:
    g = torch.Generator().manual_seed(0)
    # Channel c uniform on 0..(100 + 50c): mean (50 + 25c)/255, std known in closed form.
    highs = torch.tensor([100, 150, 200]).view(1, 3, 1, 1)
    images = (torch.rand(256, 3, 32, 32, generator=g) * (highs + 1)).floor().to(torch.uint8)
    mean = [h / 2 / 255 for h in (100, 150, 200)]
    std = [(((h + 1) ** 2 - 1) / 12) ** 0.5 / 255 for h in (100, 150, 200)]
    x = normalize(images, mean, std)
    assert x.dtype == torch.float32 and x.shape == images.shape
    assert torch.allclose(x.mean(dim=(0, 2, 3)), torch.zeros(3), atol=0.02)
    assert torch.allclose(x.std(dim=(0, 2, 3)), torch.ones(3), atol=0.02)
    assert torch.allclose(normalize(images, torch.tensor(mean), torch.tensor(std)), x)


def test_normalize_formula() -> None:
    images = torch.tensor([0, 51, 255], dtype=torch.uint8).view(1, 3, 1, 1)
    x = normalize(images, (0.0, 0.5, 1.0), (1.0, 0.5, 0.25))
    assert torch.allclose(x.flatten(), torch.tensor([0.0, (0.2 - 0.5) / 0.5, 0.0]))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("generator_device", ["cpu", "cuda"])
def test_works_on_cuda_with_either_generator(generator_device: str) -> None:
    images = _images().cuda()
    out = paper_augment(images, _gen(1, generator_device))
    assert out.device.type == "cuda" and out.shape == images.shape
    assert torch.equal(out, paper_augment(images, _gen(1, generator_device)))
    if generator_device == "cpu":  # same CPU draws: same result as on the CPU
        assert torch.equal(out.cpu(), paper_augment(images.cpu(), _gen(1)))
