"""docs/benchmark.md's Python example runs as written, on a synthesized SynCaps set."""

from __future__ import annotations

import io
import re

from rich.console import Console

from conftest import REPO_ROOT
from dtu_audio.quickstart import build_dataset


def test_the_benchmark_example_runs(tmp_path, monkeypatch, capsys):
    text = (REPO_ROOT / "docs" / "benchmark.md").read_text(encoding="utf-8")
    example = re.findall(r"```python\n(.*?)```", text, re.DOTALL)[0]
    build_dataset(
        tmp_path / "dtu-quickstart", 50, seed=0, sample_rate=16000, workers=1, console=Console(file=io.StringIO())
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DTU_HOME", str(tmp_path / "home"))
    exec(compile(example, "docs/benchmark.md", "exec"), {"__name__": "example"})
    accuracy, shuffled, grounded = capsys.readouterr().out.split(" ", 2)
    assert 0 <= float(accuracy) <= 100 and 0 <= float(shuffled) <= 100 and "difference" in grounded
