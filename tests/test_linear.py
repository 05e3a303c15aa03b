"""oneDNN linear layers for CPU inference: equal to the plain ops, re-packed when weights change, switchable."""

from __future__ import annotations

import copy
import os
import pickle
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from dtu_audio.encoders import linear as linear_module
from dtu_audio.encoders.linear import cpu_fast_path_enabled, linear, set_cpu_fast_path
from dtu_audio.errors import DtuError

needs_onednn = pytest.mark.skipif(
    not linear_module._ONEDNN, reason="this PyTorch has no oneDNN linear kernels: only the plain path exists"
)


@pytest.fixture
def layer() -> torch.nn.Linear:
    torch.manual_seed(0)
    return torch.nn.Linear(24, 40)


@pytest.fixture
def packings(monkeypatch) -> list[torch.nn.Linear]:
    """The layers whose weights the fast path packed (or found packed) during the test."""
    seen = []
    pack = linear_module._packed_weight

    def spy(layer):
        seen.append(layer)
        return pack(layer)

    monkeypatch.setattr(linear_module, "_packed_weight", spy)
    return seen


@pytest.fixture
def fast_path_restored():
    was_on = cpu_fast_path_enabled()
    yield
    set_cpu_fast_path("auto" if was_on else "off")


@needs_onednn
@pytest.mark.parametrize("gelu", [False, True])
def test_inference_equals_the_plain_ops(layer, gelu, packings):
    x = torch.randn(2, 3, 5, 24)
    expected = F.linear(x, layer.weight, layer.bias)
    expected = F.gelu(expected) if gelu else expected
    with torch.inference_mode():
        assert torch.allclose(linear(x, layer, gelu=gelu), expected, atol=1e-5)
    assert packings == [layer]  # it went through oneDNN


@needs_onednn
def test_changed_weights_are_packed_again(layer):
    x = torch.randn(4, 24)
    with torch.no_grad():
        linear(x, layer)
        layer.load_state_dict({name: torch.randn_like(value) for name, value in layer.state_dict().items()})
        assert torch.allclose(linear(x, layer), layer(x), atol=1e-5)
        layer.weight.mul_(3.0)
        assert torch.allclose(linear(x, layer), layer(x), atol=1e-5)


def test_layers_still_copy_and_pickle_after_use(layer):
    with torch.no_grad():
        linear(torch.randn(4, 24), layer)
    twin = copy.deepcopy(layer)
    assert torch.equal(pickle.loads(pickle.dumps(layer)).weight, layer.weight)
    with torch.no_grad():
        twin.weight.add_(1.0)
        x = torch.randn(4, 24)
        assert torch.allclose(linear(x, twin), twin(x), atol=1e-5)
        assert torch.allclose(linear(x, layer), layer(x), atol=1e-5)


def test_training_takes_the_differentiable_path(layer, packings):
    x = torch.randn(4, 24, requires_grad=True)
    linear(x, layer, gelu=True).sum().backward()
    assert x.grad is not None and layer.weight.grad is not None
    assert packings == []


@needs_onednn
def test_the_switch_turns_the_fast_path_off_and_on(layer, packings, fast_path_restored):
    x = torch.randn(4, 24)
    assert set_cpu_fast_path("off") is False
    with torch.no_grad():
        assert torch.allclose(linear(x, layer, gelu=True), F.gelu(layer(x)), atol=1e-5)
    assert packings == []
    assert set_cpu_fast_path("on") is True
    with torch.no_grad():
        linear(x, layer)
    assert packings == [layer]


def test_the_environment_variable_sets_the_switch_at_import():
    script = "from dtu_audio.encoders.linear import cpu_fast_path_enabled; print(cpu_fast_path_enabled())"
    env = {**os.environ, "DTU_CPU_FAST_PATH": "off"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_an_unknown_setting_is_refused(fast_path_restored):
    with pytest.raises(DtuError, match="auto, on or off"):
        set_cpu_fast_path("fast")
