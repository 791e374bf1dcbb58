"""The memory-traffic estimate behind the benchmark's hardware ceiling."""

import torch

from resnet_edu.models import build_model
from resnet_edu.perf.traffic import bytes_per_image, ceiling_images_per_s


def test_traffic_grows_with_depth_and_counts_a_known_op():
    r20, r56 = bytes_per_image(build_model("resnet20")), bytes_per_image(build_model("resnet56"))
    # Stage widths are fixed, so traffic grows about linearly with the number of blocks (9 vs 27).
    assert 2.2 < r56 / r20 < 3.2
    # Lower bound: the forward pass at least writes every block output once, in bf16.
    elements = 9 * (16 * 32 * 32 + 32 * 16 * 16 + 64 * 8 * 8)
    assert r56 > 2 * elements * 2
    assert ceiling_images_per_s(r56, 3.35e12) > 45_000  # the H100 target is below the ceiling


def test_counting_leaves_the_model_clean():
    model = build_model("resnet8", widths=(4, 8, 8))
    bytes_per_image(model, batch=4)
    assert all(p.grad is None for p in model.parameters())
    assert torch.isfinite(model(torch.randn(2, 3, 32, 32))).all()
