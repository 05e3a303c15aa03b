"""keep_freed_memory: a freed large tensor's memory stays in the process for the next one; the thread policy."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time

import pytest

from dtu_audio import runtime
from dtu_audio.errors import DtuError
from dtu_audio.runtime import ThreadChoice, choose_threads, configure
from dtu_audio.specs import RuntimeSpec

RETURNED_MIB = """
import sys, torch
from dtu_audio.runtime import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
def resident_mib():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20
block = torch.ones(16 * 2**20)  # 64 MiB, every page touched
before = resident_mib()
del block
print(before - resident_mib())
"""


def _returned_mib(setting: str) -> float:
    done = subprocess.run([sys.executable, "-c", RETURNED_MIB, setting], capture_output=True, text=True, check=True)
    return float(done.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="a glibc malloc setting")
def test_freed_tensors_stay_in_the_process_for_reuse():
    assert _returned_mib("default") > 60  # glibc unmaps a block that large at once
    assert _returned_mib("keep") < 4


@pytest.fixture
def four_core_machine(monkeypatch):
    """A machine of 4 cores, all available to this process, with no OMP_NUM_THREADS set; returns a
    setter of the cores other processes keep busy and of the 1-minute load average."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(os, "cpu_count", lambda: 4)

    def set_busy(busy: float, load: float = 0.0) -> None:
        monkeypatch.setattr(runtime, "busy_cores", lambda: busy)
        monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))

    return set_busy


@pytest.mark.parametrize(("busy", "threads"), [(0.0, 4), (0.4, 4), (1.0, 3), (1.6, 2), (2.9, 1), (9.0, 1)])
def test_the_default_leaves_the_busy_cores_to_others(four_core_machine, busy, threads):
    four_core_machine(busy)
    choice = choose_threads()
    assert choice.threads == threads
    assert f"{busy:.1f} busy" in str(choice)


@pytest.mark.parametrize(("busy", "load", "threads"), [(1.0, 0.1, 3), (0.0, 3.5, 4)])
def test_what_runs_now_counts_not_the_load_of_the_last_minute(four_core_machine, busy, load, threads):
    """A job that has just started counts before the load average sees it; one that has just ended
    no longer counts, though the load average still does."""
    four_core_machine(busy, load)
    assert choose_threads().threads == threads


def test_busy_cores_sees_a_busy_loop():
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        assert runtime.busy_cores(window=0.5) >= 0.7
    finally:
        spinner.kill()
        spinner.wait()


def test_threads_asked_for_win_over_the_environment_and_the_load(four_core_machine, monkeypatch):
    four_core_machine(3.0)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert choose_threads().threads == 2
    assert choose_threads(3) == ThreadChoice(3, "as asked")
    with pytest.raises(DtuError, match="at least 1"):
        choose_threads(0)


def test_the_runtime_section_sets_torch_threads(four_core_machine):
    import torch

    before = torch.get_num_threads()
    try:
        assert configure(RuntimeSpec(threads=1)).startswith("CPU: 1 CPU thread (as asked); oneDNN fast path")
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
