"""Shared fixtures: small synthetic data so every test runs offline and fast."""

import os

# Tests start subprocesses (the CLI, a Streamlit server, notebook kernels) beside this
# process on a 2-core machine: OpenMP threads that spin while waiting would steal the
# cores from each other. Passive waiting must be set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest  # noqa: E402
import torch  # noqa: E402

from resnet_edu.training.config import RunConfig  # noqa: E402
from resnet_edu.data import make_synthetic  # noqa: E402


@pytest.fixture(scope="session")
def tiny_data():
    """(train, test) of the synthetic set, small: 512 + 128 images."""
    return make_synthetic(n_train=512, n_test=128, seed=0)


@pytest.fixture
def tiny_config():
    """Two narrow nets, 12 steps of batch 32: a whole run in about a second on a CPU."""
    return RunConfig(models=("plain8", "resnet8"), dataset="synthetic", widths=(4, 8, 8), batch_size=32,
                     steps=12, milestones=(8,), log_every=4, eval_every=6, device="cpu", seed=0)


@pytest.fixture
def one_thread():
    """One torch thread for a test: small nets gain nothing from two and contend with subprocesses."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
