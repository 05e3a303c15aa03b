"""dtu index / dtu search with models other than dtu checkpoints: a tiny random CLAP, by hf: name and by folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from cli_helpers import run_dtu
from tiny_clap import MAX_SECONDS, add_to_hub_cache, write_tiny_clap

from dtu_audio.datasets.audio import load_audio
from dtu_audio.errors import DtuError
from dtu_audio.search.files import cut_windows

pytest.importorskip("faiss")

RATE = 16_000
QUERY = "a bell rings followed by a dog barks"


@pytest.fixture
def clips(tmp_path) -> Path:
    """Three 1-s tones and one 5-s chirp (2-s CLAP windows at 0, 2 and 3 s)."""
    folder = tmp_path / "clips"
    folder.mkdir()
    t = np.arange(RATE) / RATE
    for freq in (300, 1200, 4000):
        sf.write(folder / f"tone-{freq}.wav", (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32), RATE)
    long = np.arange(5 * RATE) / RATE
    sf.write(folder / "chirp.wav", (0.5 * np.sin(2 * np.pi * (200 + 300 * long) * long)).astype(np.float32), RATE)
    return folder


def _brute_force(clips: Path, folder: Path, query: str) -> list[tuple[float, str, float]]:
    """(cosine, path, offset) of every window against ``query``, best first, from ``embed_audio``/``embed_text``."""
    from dtu_audio.embedders import load_embedder

    embedder = load_embedder(folder, device="cpu", precision="fp32")
    windows = []
    for path in sorted(p.name for p in clips.iterdir()):
        waveform = load_audio(clips / path, embedder.sample_rate, mono=True)
        windows += [
            (path, start, w) for start, w in cut_windows(waveform, embedder.clip_samples, embedder.clip_samples)
        ]
    audio = embedder.embed_audio([w for *_, w in windows]).numpy()
    text = embedder.embed_text([query]).numpy()[0]
    scores = audio @ text
    return sorted(
        ((float(s), p, st / embedder.sample_rate) for s, (p, st, _) in zip(scores, windows, strict=True)), reverse=True
    )


def test_an_hf_clap_index_searches_like_brute_force(tmp_path, clips, hub_cache, monkeypatch, capsys):
    from dtu_audio import Index

    folder = write_tiny_clap(tmp_path / "clap")
    add_to_hub_cache(hub_cache, "tiny-org/tiny-clap", folder)
    index = tmp_path / "index"
    args = ("index", "build", clips, "--model", "hf:tiny-org/tiny-clap", "--out", index, "--quiet")
    code, out, err = run_dtu(monkeypatch, capsys, *args)
    assert code == 0, err
    assert "6 windows" in out

    code, out, _ = run_dtu(monkeypatch, capsys, "index", "info", index, "--json")
    info = json.loads(out)
    assert (info["model"], info["windows"], info["dim"], info["clip_seconds"]) == ("hf:tiny-org/tiny-clap", 6, 8, 2)

    expected = _brute_force(clips, folder, QUERY)
    code, out, err = run_dtu(monkeypatch, capsys, "search", QUERY, "--index", index, "-k", "6", "--json")
    assert code == 0, err
    hits = json.loads(out)
    assert [(h["path"], h["offset"]) for h in hits] == [(p, o) for _, p, o in expected]
    assert [h["score"] for h in hits] == pytest.approx([s for s, _, _ in expected], abs=1e-5)
    assert {h["duration"] for h in hits if h["path"] == "chirp.wav"} == {MAX_SECONDS}

    searched = Index.open(index).search(QUERY, k=3)
    assert [(h.path, h.offset) for h in searched] == [(p, o) for _, p, o in expected[:3]]
    ordered = Index.open(index).search(QUERY, k=6, order_aware=True, order_weight=1.0)
    assert {(h.path, h.offset) for h in ordered} == {(p, o) for _, p, o in expected}
    for hit in ordered:
        assert hit.score == pytest.approx(2 * hit.plain_score - hit.reversed_score, abs=1e-5)


def test_a_clap_index_refuses_other_models(tmp_path, clips, spec, model, monkeypatch, capsys):
    from dtu_audio import Index
    from dtu_audio.encoders import save_checkpoint

    folder = write_tiny_clap(tmp_path / "clap")
    index = tmp_path / "index"
    monkeypatch.chdir(tmp_path)
    args = ("index", "build", clips, "--model", "clap", "--out", index, "--quiet")
    assert run_dtu(monkeypatch, capsys, *args)[0] == 0
    assert Index.open(index).info()["model"] == str(folder)  # a folder is recorded by its absolute path
    assert len(Index.open(index, model=str(folder)).search("rain", k=2)) == 2

    checkpoint = tmp_path / "tiny.pt"
    save_checkpoint(checkpoint, model, spec)
    code, out, err = run_dtu(monkeypatch, capsys, "search", "rain", "--index", index, "--model", checkpoint)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "was built with model" in err and "tiny.pt" in err
    other = write_tiny_clap(tmp_path / "other-clap", seed=1)
    with pytest.raises(DtuError, match="was built with model"):
        Index.open(index, model=str(other))


def test_a_checkpoint_s_embedder_is_indexed_as_its_model(tmp_path, spec, model):
    from dtu_audio import RetrievalModel, load_embedder, load_model
    from dtu_audio.encoders import save_checkpoint
    from dtu_audio.search.models import index_model

    checkpoint = tmp_path / "tiny.pt"
    save_checkpoint(checkpoint, model, spec)
    direct, wrapped = index_model(load_model(checkpoint)), index_model(load_embedder(checkpoint, device="cpu"))
    assert isinstance(wrapped.model, RetrievalModel) and wrapped.pad_windows
    assert (wrapped.fingerprint, wrapped.settings, wrapped.window) == (
        direct.fingerprint,
        direct.settings,
        direct.window,
    )


def test_an_embedder_without_a_clip_length_cannot_be_indexed():
    from types import SimpleNamespace

    from dtu_audio.search.models import index_model

    embedder = SimpleNamespace(name="my-model", family="mine", sample_rate=16000, fingerprint="abc")
    with pytest.raises(DtuError, match=r"my-model \(mine\) cannot be indexed: .* no clip_samples"):
        index_model(embedder)
