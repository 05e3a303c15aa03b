"""oneDNN linear layers for CPU inference: equal to the plain ops, re-packed when weights change."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch
import torch.nn.functional as F

from dtu_audio.encoders.linear import linear


@pytest.fixture
def layer() -> torch.nn.Linear:
    torch.manual_seed(0)
    return torch.nn.Linear(24, 40)


@pytest.mark.parametrize("gelu", [False, True])
def test_inference_equals_the_plain_ops(layer, gelu):
    x = torch.randn(2, 3, 5, 24)
    expected = F.linear(x, layer.weight, layer.bias)
    expected = F.gelu(expected) if gelu else expected
    with torch.inference_mode():
        assert torch.allclose(linear(x, layer, gelu=gelu), expected, atol=1e-5)


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


def test_training_takes_the_differentiable_path(layer):
    x = torch.randn(4, 24, requires_grad=True)
    linear(x, layer, gelu=True).sum().backward()
    assert x.grad is not None and layer.weight.grad is not None
