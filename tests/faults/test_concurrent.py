"""Two ``dtu train`` of one name at once: one runs, the other is refused with one line; nothing mixed."""

from __future__ import annotations

from .harness import assert_same_run, start_dtu


def test_two_trains_into_one_folder(train_spec, reference_run, tmp_path):
    args = ("train", "--spec", train_spec, "--name", "shared", "--set", f"train.output_dir={tmp_path}")
    first, second = start_dtu(*args, cwd=tmp_path), start_dtu(*args, cwd=tmp_path)
    outcomes = sorted((p.wait(timeout=600), p.stderr.read().strip().splitlines()) for p in (first, second))
    (ok_code, _), (refused_code, refused_lines) = outcomes
    assert (ok_code, refused_code) == (0, 2), outcomes
    assert len(refused_lines) == 1 and refused_lines[0].startswith("error: "), refused_lines
    assert "another dtu train is writing to" in refused_lines[0] or "already holds a run" in refused_lines[0]
    assert_same_run(tmp_path / "shared", reference_run)
