"""SynCaps under faults: transform ranges without meaning, a full disk, a killed parent of workers."""

from __future__ import annotations

import errno
import importlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import soundfile as sf
from cli_helpers import run_dtu

from conftest import REPO_ROOT
from dtu_audio.errors import DtuError
from dtu_audio.syncaps import PlanOptions, generate, plan_new_set, render, write_synth_sources


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    return write_synth_sources(tmp_path_factory.mktemp("synth"), clips_per_class=2, seed=1)


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--stretch-range", "0,0", "--stretch-range 0,0 is out of range: speed-up rates (1: unchanged) must lie"),
        ("--stretch-range", "-1.2,-0.8", "--stretch-range -1.2,-0.8 is out of range"),
        (
            "--pitch-range",
            "200,200",
            "--pitch-range 200,200 is out of range: shifts in semitones must lie within",
        ),
        ("--gain-range", "nan,3", "--gain-range nan,3: LOW and HIGH must be numbers with LOW <= HIGH"),
    ],
)
def test_meaningless_transform_ranges_are_one_line_errors(sources, tmp_path, monkeypatch, capsys, option, value, says):
    args = ["syncaps", "generate", "--sources", sources.audio_dir.parent, "--num-clips", "4", "--out", tmp_path / "o"]
    code, stdout, stderr = run_dtu(monkeypatch, capsys, *args, option, value)
    assert code == 2 and says in stdout + stderr and "Traceback" not in stdout + stderr


def _recipe(sources, clips: int = 4):
    options = PlanOptions(seed=3, num_clips=clips, val_fraction=0.25, test_fraction=0.25, transform_prob=1.0)
    return plan_new_set(sources, PlanOptions(**{**options.__dict__, "sample_rate": 16000}))


def test_a_full_disk_while_rendering_is_a_one_line_error(sources, tmp_path, monkeypatch):
    def no_space(*args, **kwargs):
        raise sf.LibsndfileError(2, "System error.")

    monkeypatch.setattr(render.sf, "write", no_space)
    with pytest.raises(DtuError, match=r"System error.*; check the free space, then rerun the same command"):
        generate(_recipe(sources), sources.descriptions, sources, tmp_path)
    assert not list((tmp_path / "audio").iterdir())


def test_a_full_disk_while_writing_manifests_is_a_one_line_error(sources, tmp_path, monkeypatch):
    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(importlib.import_module("dtu_audio.syncaps.generate"), "write_outputs", no_space)
    with pytest.raises(DtuError, match=r"cannot write into .* \(No space left on device\); check the free space"):
        generate(_recipe(sources), sources.descriptions, sources, tmp_path)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if entry.name.isdigit() and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="reads process parents from /proc")
def test_workers_end_when_their_parent_is_killed(sources, tmp_path):
    args = ["syncaps", "generate", "--sources", sources.audio_dir.parent, "--num-clips", "400", "--workers", "2"]
    parent = subprocess.Popen(
        [sys.executable, "-m", "dtu_audio", *map(str, args), "--out", str(tmp_path / "o")],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sums = tmp_path / "o" / "SHA256SUMS"
    deadline = time.monotonic() + 120
    while not (sums.is_file() and sums.read_text()) and time.monotonic() < deadline:
        time.sleep(0.2)
    workers = [pid for pid in _children(parent.pid) if _alive(pid)]
    assert len(workers) == 2, "two workers render while the parent runs"
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)
