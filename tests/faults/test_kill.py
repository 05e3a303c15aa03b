"""kill -9 at seeded random points of every command that writes, then the same command again.

Each attempt tears one write (half of it reaches the disk) and kills the process, then reruns
(or resumes) the command as a user would and requires outputs equal to an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from .harness import SYNCAPS_ARGS, assert_ok, assert_same_run, eval_args, invoke, run_killed, temporaries, tree

POINTS = random.Random(17)
# 2 epochs of 2 steps: 2 last.pt saves, 6 metrics lines (4 windows, 2 epochs), 1 or 2 best.pt copies
TRAIN_FAULTS = [
    ("torch-save", POINTS.randint(1, 2)),
    ("metrics", POINTS.randint(1, 3)),
    ("metrics", POINTS.randint(4, 6)),
    ("best-copy", 1),
    ("step", POINTS.randint(1, 4)),
]
CLIP_FAULTS = sorted(POINTS.sample(range(1, 13), 2))
JSON_FAULTS = sorted(POINTS.sample(range(1, 10), 2))  # 9 split files of a test set
CACHE_FAULTS = [1, 2]  # the audio table, then the text table


@pytest.mark.parametrize(("site", "n"), TRAIN_FAULTS, ids=[f"train-{s}-{n}" for s, n in TRAIN_FAULTS])
def test_train(site, n, train_spec, reference_run, tmp_path):
    output_dir = f"train.output_dir={tmp_path}"
    run_killed(site, n, "train", "--spec", train_spec, "--name", "killed", "--set", output_dir, cwd=tmp_path)
    run = tmp_path / "killed"
    if (run / "last.pt").is_file():
        assert_ok(invoke("train", "--resume", run))
    else:  # killed before the first checkpoint: the same command starts again
        assert_ok(invoke("train", "--spec", train_spec, "--name", "killed", "--set", output_dir))
    assert_same_run(run, reference_run)


@pytest.mark.parametrize("n", CLIP_FAULTS, ids=[f"syncaps-clip-{n}" for n in CLIP_FAULTS])
def test_syncaps_generate(n, synth_sources, syncaps_reference, tmp_path):
    args = ("syncaps", "generate", "--sources", synth_sources.audio_dir.parent, *SYNCAPS_ARGS, "--out", tmp_path / "o")
    run_killed("clip", n, *args, cwd=tmp_path)
    assert_ok(invoke(*args))
    assert tree(tmp_path / "o" / "audio") == tree(syncaps_reference / "audio")
    for name in ("SHA256SUMS", "test.json", "train.json", "audio_id_to_pos_neg_eg.json", "recipe.json"):
        expected = (syncaps_reference / name).read_text().replace(str(syncaps_reference), str(tmp_path / "o"))
        assert (tmp_path / "o" / name).read_text() == expected, name


@pytest.mark.parametrize("n", JSON_FAULTS, ids=[f"rearrange-json-{n}" for n in JSON_FAULTS])
def test_rearrange_splits(n, caption_csv, rearrange_reference, tmp_path):
    args = ("rearrange-splits", "--test", caption_csv, "--out", tmp_path / "o")
    run_killed("json", n, *args, cwd=tmp_path)
    assert_ok(invoke(*args, "--force"))
    assert tree(tmp_path / "o") == tree(rearrange_reference)


@pytest.mark.parametrize("n", CACHE_FAULTS, ids=[f"eval-cache-{n}" for n in CACHE_FAULTS])
def test_eval_embedding_cache(n, reference_run, syncaps_reference, eval_reference, tmp_path):
    args = eval_args(reference_run / "best.pt", syncaps_reference)
    run_killed("torch-save", n, *args, "--out", tmp_path / "killed", cwd=tmp_path)
    for attempt in ("rerun", "from the cache"):
        assert_ok(invoke(*args, "--out", tmp_path / attempt))
        assert json.loads((tmp_path / attempt / "results.json").read_text())["sets"] == eval_reference, attempt
    assert not temporaries(Path(os.environ["DTU_HOME"]))
