"""Loading: a trained model comes back from a run's checkpoint identical, in eval mode."""

import dataclasses

import pytest
import torch

from resnet_edu.analysis.loading import (config_to_train, eval_tensors, evaluate, find_trained, has_trained,
                                         load_trained,
                                         trained_entries)
from resnet_edu.runs.store import RunStore
from resnet_edu.training.trainer import Trainer


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def test_load_trained_rebuilds_the_checkpointed_models(tmp_path, tiny_data, tiny_config):
    tiny_config = dataclasses.replace(tiny_config, steps=2, log_every=1, eval_every=2, milestones=())
    store = RunStore(tmp_path / "runs")
    assert find_trained(store.root, "resnet8") is None
    run_id = store.create(tiny_config)
    run_dir = store.path(run_id)
    assert not has_trained(run_dir)
    trainer = Trainer(tiny_config, data=tiny_data, run_dir=run_dir)
    list(trainer.run())
    assert trained_entries(run_dir) == ("plain8", "resnet8")
    assert has_trained(run_dir, "resnet8") and not has_trained(run_dir, "resnet56")
    assert find_trained(store.root, "resnet8") == run_dir

    model = load_trained(run_dir / "checkpoint.pt", "resnet8")
    assert not model.training
    x, y = eval_tensors(tiny_config, n=20, data=tiny_data)
    assert x.shape == (20, 3, 32, 32) and x.dtype == torch.float32 and y.shape == (20,)
    trained = trainer.members[1].module.eval()
    with torch.no_grad():
        assert torch.allclose(model(x), trained(x.contiguous(memory_format=torch.channels_last)), atol=1e-5)
    loss, error = evaluate(model, x, y)
    assert loss > 0 and 0 <= error <= 1
    with pytest.raises(KeyError):
        load_trained(run_dir, "resnet56")
    with pytest.raises(FileNotFoundError, match="train a run first"):
        load_trained(tmp_path / "nothing", "resnet8")


def test_config_to_train_offers_the_twin():
    assert config_to_train("resnet20").models == ("plain20", "resnet20")
    assert config_to_train("plain38:span=3").models == ("plain38:span=3", "resnet38:span=3")
    assert config_to_train("resnet56:shortcut=B").models == ("resnet56:shortcut=B",)
    assert config_to_train("resnet20", "classroom").preset == "classroom"
