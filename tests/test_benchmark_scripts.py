"""The benchmark scripts still run against today's code: their smallest workload, once each."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import REPO_ROOT


def test_the_thread_benchmark_runs_a_training_epoch():
    script = REPO_ROOT / "benchmarks" / "threads.py"
    command = [sys.executable, str(script), "--worker", "train", "--threads", "1", "--clips", "4"]
    done = subprocess.run(
        command, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    timing = json.loads(done.stdout.strip().splitlines()[-1])
    assert timing["wall"] > 0 and timing["cpu"] > 0
