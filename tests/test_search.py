"""dtu index / dtu search on a folder of synthesized clips with the tiny model."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from cli_helpers import run_dtu

from conftest import REPO_ROOT
from dtu_audio.encoders import save_checkpoint

pytest.importorskip("faiss")

RATE = 16_000


def _tone(freq: float, seconds: float, seed: int = 0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    noise = np.random.default_rng(seed).standard_normal(t.size) * 0.05
    return (0.5 * np.sin(2 * np.pi * freq * t) + noise).astype(np.float32)


def _write(path: Path, waveform: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, waveform, RATE)
    return path


@pytest.fixture
def checkpoint(tmp_path, spec, model) -> Path:
    return _saved(tmp_path / "tiny.pt", spec, model)


def _saved(path: Path, spec, model) -> Path:
    save_checkpoint(path, model, spec)
    return path


@pytest.fixture
def clips(tmp_path) -> Path:
    """Five short clips (one in a subfolder), one 12 s clip, a corrupt WAV and a text file."""
    folder = tmp_path / "clips"
    for i, freq in enumerate((220, 440, 880, 1760)):
        _write(folder / f"tone-{freq}.wav", _tone(freq, 2.0, seed=i))
    _write(folder / "sub" / "noise.flac", np.random.default_rng(9).standard_normal(RATE).astype(np.float32) * 0.3)
    _write(folder / "long.wav", np.concatenate([_tone(300, 6.0), _tone(3000, 6.0)]))
    (folder / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really audio")
    (folder / "notes.txt").write_text("not audio")
    return folder


def _rows(index: Path) -> list[tuple]:
    with sqlite3.connect(index / "index.sqlite") as db:
        return db.execute("SELECT path, offset, duration, vector FROM windows ORDER BY path, offset").fetchall()


def _search(monkeypatch, capsys, index: Path, query: str, *extra) -> list[dict]:
    code, out, err = run_dtu(monkeypatch, capsys, "search", query, "--index", index, "-k", "20", "--json", *extra)
    assert code == 0, err
    return json.loads(out)


def test_build_search_update(tmp_path, clips, checkpoint, monkeypatch, capsys):
    from dtu_audio import Index

    index = tmp_path / "index"
    code, out, err = run_dtu(
        monkeypatch, capsys, "index", "build", clips, "--model", checkpoint, "--out", index, "--quiet"
    )
    assert code == 0, err
    assert "skipped 1 files" in out and "broken.wav" in out
    rows = _rows(index)
    # 5 short files one window each; the 12 s file in 5 s windows at 0, 5 and 7 (the last ends at the end)
    assert [(path, offset) for path, offset, _, _ in rows if path == "long.wav"] == [
        ("long.wav", 0.0),
        ("long.wav", 5.0),
        ("long.wav", 7.0),
    ]
    assert len(rows) == 8 and {path for path, *_ in rows} >= {"sub/noise.flac", "tone-220.wav"}

    hits = _search(monkeypatch, capsys, index, "a dog barks")
    assert len(hits) == 8 and hits == sorted(hits, key=lambda hit: -hit["score"])
    assert {hit["path"] for hit in hits} == {path for path, *_ in rows}
    assert all(Path(hit["file"]).is_file() for hit in hits)

    code, out, _ = run_dtu(monkeypatch, capsys, "index", "info", index, "--json")
    info = json.loads(out)
    assert (info["windows"], info["files"], info["vector_index"]["kind"]) == (8, 6, "flat")
    assert info["skipped"][0]["path"] == "broken.wav" and info["size_bytes"] > 0

    reader = Index.open(index)  # opened before the update, as a search running meanwhile
    assert len(reader.search("a dog barks", k=20)) == 8

    # one file changed, one removed, one added, the corrupt one repaired
    time.sleep(0.01)
    _write(clips / "tone-440.wav", _tone(440, 7.0))
    (clips / "tone-880.wav").unlink()
    _write(clips / "sub" / "new.wav", _tone(5000, 1.0))
    _write(clips / "broken.wav", _tone(600, 1.0))
    code, out, err = run_dtu(monkeypatch, capsys, "index", "update", index, "--quiet")
    assert code == 0, err
    assert "3 files embedded, 3 forgotten" in out and "skipped" not in out
    after = _rows(index)
    paths = [path for path, *_ in after]
    assert "tone-880.wav" not in paths and {"sub/new.wav", "broken.wav"} <= set(paths)
    # the earlier reader keeps its vector file and leaves out the windows the update removed
    stale = {hit.path for hit in reader.search("a dog barks", k=20)}
    assert stale == {"tone-220.wav", "tone-1760.wav", "sub/noise.flac", "long.wav"}
    assert [offset for path, offset, *_ in after if path == "tone-440.wav"] == [0.0, 2.0]
    unchanged = {(p, o): v for p, o, _, v in rows if p in ("tone-220.wav", "long.wav")}
    assert unchanged == {(p, o): v for p, o, _, v in after if p in ("tone-220.wav", "long.wav")}
    hits = _search(monkeypatch, capsys, index, "a dog barks")
    assert {(hit["path"], hit["offset"]) for hit in hits} == {(p, o) for p, o, *_ in after}


def test_search_results_are_the_nearest_windows(tmp_path, clips, checkpoint, model):
    from dtu_audio import Index, load_model
    from dtu_audio.search.build import sync_index
    from dtu_audio.search.layout import IndexLayout
    from dtu_audio.training.distributed import init_process_group

    layout = IndexLayout(tmp_path / "index")
    loaded = load_model(checkpoint)
    sync_index(init_process_group("cpu"), layout, loaded, str(checkpoint), clips, show_progress=False)
    index = Index.open(layout.folder)
    hits = index.search("a cat meows", k=3)
    text = model.embed_text(["a cat meows"]).numpy()[0]
    rows = _rows(layout.folder)
    scores = sorted(((np.frombuffer(v, dtype=np.float32) @ text, p, o) for p, o, _, v in rows), reverse=True)
    assert [(hit.path, hit.offset) for hit in hits] == [(p, o) for _, p, o in scores[:3]]
    assert [hit.score for hit in hits] == pytest.approx([s for s, _, _ in scores[:3]], abs=1e-5)


def test_index_built_with_another_model_is_refused(tmp_path, clips, checkpoint, spec, monkeypatch, capsys):
    import torch

    import dtu_audio

    index = tmp_path / "index"
    assert (
        run_dtu(monkeypatch, capsys, "index", "build", clips, "--model", checkpoint, "--out", index, "--quiet")[0] == 0
    )
    torch.manual_seed(1)
    other = _saved(tmp_path / "other.pt", spec, dtu_audio.RetrievalModel.from_spec(spec.model, spec.audio))
    code, out, err = run_dtu(monkeypatch, capsys, "search", "a dog barks", "--index", index, "--model", other)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "was built with model" in err and "other.pt" in err
    with pytest.raises(dtu_audio.errors.DtuError, match="was built with model"):
        dtu_audio.Index.open(index, model=str(other))


def test_kill_during_build_then_resume_gives_the_same_index(tmp_path, clips, checkpoint, monkeypatch, capsys):
    for i in range(30):
        _write(clips / "many" / f"clip-{i:02d}.wav", _tone(100 + 97 * i, 1.0, seed=i))
    whole = tmp_path / "whole"
    assert (
        run_dtu(monkeypatch, capsys, "index", "build", clips, "--model", checkpoint, "--out", whole, "--quiet")[0] == 0
    )

    resumed = tmp_path / "resumed"
    command = [sys.executable, "-m", "dtu_audio", "index", "build", str(clips), "--model", str(checkpoint)]
    command += ["--out", str(resumed), "--quiet", "--batch-size", "2"]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=os.environ.copy())
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if (resumed / "index.sqlite").is_file() and _count(resumed) >= 4:
            break
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    partial = _count(resumed)
    assert 0 < partial < len(_rows(whole)), "the kill should land mid-build"
    assert not (resumed / "vectors.faiss").exists()

    code, _, err = run_dtu(monkeypatch, capsys, "index", "build", clips, "--model", checkpoint, "--out", resumed)
    assert code == 0, err
    expected, got = _rows(whole), _rows(resumed)
    assert [row[:3] for row in got] == [row[:3] for row in expected]
    for (*_, a), (*_, b) in zip(expected, got, strict=True):
        np.testing.assert_allclose(np.frombuffer(a, np.float32), np.frombuffer(b, np.float32), atol=1e-5)
    query = "a dog barks then a car passes"
    first, second = _search(monkeypatch, capsys, whole, query), _search(monkeypatch, capsys, resumed, query)
    assert [(h["path"], h["offset"]) for h in first] == [(h["path"], h["offset"]) for h in second]


def _count(index: Path) -> int:
    try:
        with sqlite3.connect(index / "index.sqlite") as db:
            return db.execute("SELECT COUNT(*) FROM windows").fetchone()[0]
    except sqlite3.OperationalError:  # schema not written yet
        return 0


def test_order_aware_search_reranks_by_the_reversed_query(tmp_path, clips, checkpoint, monkeypatch, capsys):
    from dtu_audio import Index
    from dtu_audio.search.ranking import reversed_query

    index_dir = tmp_path / "index"
    args = ("index", "build", clips, "--model", checkpoint, "--out", index_dir, "--quiet")
    assert run_dtu(monkeypatch, capsys, *args)[0] == 0
    query = "a dog barks followed by a car passes"
    assert reversed_query(query) == "A car passes followed by a dog barks"
    assert reversed_query("a dog barks") is None
    index = Index.open(index_dir)
    plain = index.search(query, k=8)
    ordered = index.search(query, k=8, order_aware=True, order_weight=2.0)
    for hit in ordered:
        assert hit.score == pytest.approx(hit.plain_score + 2.0 * (hit.plain_score - hit.reversed_score), abs=1e-5)
    assert ordered == sorted(ordered, key=lambda hit: -hit.score)
    assert {(h.path, h.offset) for h in plain} == {(h.path, h.offset) for h in ordered}
    assert index.search("a dog barks", k=8, order_aware=True) == index.search("a dog barks", k=8)


def test_bad_input_is_one_line(tmp_path, clips, checkpoint, monkeypatch, capsys):
    code, _, err = run_dtu(monkeypatch, capsys, "search", "x", "--index", tmp_path / "nowhere")
    assert code == 2 and err.count("\n") == 1 and "does not exist" in err
    code, _, err = run_dtu(monkeypatch, capsys, "index", "build", tmp_path / "nowhere", "--model", checkpoint)
    assert code == 2 and "is not a folder" in err
    index = tmp_path / "index"
    assert (
        run_dtu(monkeypatch, capsys, "index", "build", clips, "--model", checkpoint, "--out", index, "--quiet")[0] == 0
    )
    code, _, err = run_dtu(monkeypatch, capsys, "index", "build", clips, "--model", checkpoint, "--out", index)
    assert code == 2 and "dtu index update" in err
    code, _, err = run_dtu(monkeypatch, capsys, "search", "x", "--index", index, "-k", "0")
    assert code == 2 and "-k must be at least 1" in err


def test_missing_faiss_names_the_extra(monkeypatch):
    from dtu_audio.errors import DtuError
    from dtu_audio.search.vectors import require_faiss

    monkeypatch.setitem(sys.modules, "faiss", None)
    with pytest.raises(DtuError, match=r"pip install 'dtu-audio\[search\]'"):
        require_faiss()


def test_two_processes_under_torchrun_build_the_same_index(tmp_path, clips, checkpoint, monkeypatch, capsys):
    single = tmp_path / "single"
    assert (
        run_dtu(monkeypatch, capsys, "index", "build", clips, "--model", checkpoint, "--out", single, "--quiet")[0] == 0
    )
    shared = tmp_path / "shared"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    command += ["-m", "dtu_audio", "index", "build", str(clips), "--model", str(checkpoint), "--out", str(shared)]
    done = subprocess.run(
        command, cwd=REPO_ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "8 windows" in done.stdout and not (shared / "shards").exists()
    expected, got = _rows(single), _rows(shared)
    assert [row[:3] for row in got] == [row[:3] for row in expected]
    for (*_, a), (*_, b) in zip(expected, got, strict=True):
        np.testing.assert_allclose(np.frombuffer(a, np.float32), np.frombuffer(b, np.float32), atol=1e-5)
