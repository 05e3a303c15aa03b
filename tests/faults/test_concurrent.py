"""Two ``dtu train`` of one name at once: one runs, the other is refused with one line; nothing mixed."""

from __future__ import annotations

from .harness import assert_same_run, start_dtu


def test_two_trains_into_one_folder(train_spec, reference_run, tmp_path):
    args = ("train", "--spec", train_spec, "--name", "shared", "--set", f"train.output_dir={tmp_path}")
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    runs = [start_dtu(*args, cwd=tmp_path, log=log) for log in logs]
    codes = [run.wait(timeout=600) for run in runs]
    outcomes = sorted(zip(codes, (log.read_text().strip().splitlines() for log in logs), strict=True))
    (ok_code, _), (refused_code, refused_lines) = outcomes
    assert (ok_code, refused_code) == (0, 2), outcomes
    assert refused_lines[-1].startswith("error: ") and "Traceback" not in "\n".join(refused_lines), refused_lines
    assert "another dtu train is writing to" in refused_lines[-1] or "already holds a run" in refused_lines[-1]
    assert_same_run(tmp_path / "shared", reference_run)
