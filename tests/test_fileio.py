import os
import subprocess
import sys

import pytest

from dtu_audio.errors import DtuError
from dtu_audio.fileio import atomic_open, atomic_path, read_json, remove_stale_temporaries, write_json


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "out.json"
    write_json(target, {"a": 1})
    with pytest.raises(RuntimeError), atomic_open(target) as handle:
        handle.write("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == '{\n  "a": 1\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_written_files_get_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        write_json(tmp_path / "x.json", [])
    finally:
        os.umask(old)
    assert (tmp_path / "x.json").stat().st_mode & 0o777 == 0o644


def test_temporaries_of_dead_writers_are_removed_and_others_kept(tmp_path):
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True).stdout)
    stale_file = tmp_path / f".out.json.{dead}.x1y2z3.tmp"
    stale_folder = tmp_path / f".0a1b2c.{dead}.q9w8"
    live = tmp_path / f".out.json.{os.getpid()}.a1b2c3.tmp"
    others = [tmp_path / ".hidden", tmp_path / ".not.a.temporary", tmp_path / "out.json"]
    for path in (stale_file, live, *others):
        path.write_text("x")
    stale_folder.mkdir()
    (stale_folder / "waveforms.f16").write_bytes(b"\0" * 8)
    assert sorted(remove_stale_temporaries(tmp_path)) == sorted([stale_file, stale_folder])
    assert sorted(tmp_path.iterdir()) == sorted([live, *others])


def test_an_atomic_write_removes_what_a_killed_writer_of_that_file_left(tmp_path):
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True).stdout)
    (tmp_path / f".last.pt.{dead}.x1y2z3.tmp").write_bytes(b"half a checkpoint")
    (tmp_path / f".other.pt.{dead}.x1y2z3.tmp").write_bytes(b"another file's")
    with atomic_path(tmp_path / "last.pt") as tmp:
        assert tmp.name.startswith(f".last.pt.{os.getpid()}.")
        tmp.write_bytes(b"whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".other.pt.{dead}.x1y2z3.tmp", "last.pt"]


def test_read_json_refuses_deep_nesting_with_one_line(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(DtuError, match=r"manifest .*deep\.json is nested too deeply"):
        read_json(deep, "manifest")
