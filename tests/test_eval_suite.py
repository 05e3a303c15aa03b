"""The suite runner on plain tensors: sets from files, shared audio, variants, clear errors."""

from __future__ import annotations

import pytest
import torch

from dtu_audio.datasets.manifest import AudioEntry, Manifest, write_manifest
from dtu_audio.errors import DtuError
from dtu_audio.evaluation.embedding_cache import EmbeddingCache
from dtu_audio.evaluation.prepare import AudioLocator
from dtu_audio.evaluation.runner import evaluate_suite
from dtu_audio.evaluation.suites import RECIPES, build_suite

ORIGINAL = ["a dog barks followed by a cat meows", "rain falls then a door closes", "a bell rings", "wind blows"]
REVERSED = ["a cat meows followed by a dog barks", "a door closes then rain falls", "a bell rings", "wind blows"]
REPLACED = ["a dog barks preceded by a cat meows", "rain falls after a door closes", "a bell rings", "wind blows"]


class TableEmbedder:
    """Clip i embeds as basis vector i; a caption as the vector the test gives it; counts what it embeds."""

    def __init__(self, captions: dict[str, torch.Tensor]):
        self.captions = captions
        self.audio_embedded: list[str] = []

    def embed_audio(self, paths, batch_size=32):
        self.audio_embedded += [p.name for p in paths]
        return torch.stack([torch.eye(8)[int(p.stem.removeprefix("clip"))] for p in paths])

    def embed_text(self, captions, batch_size=32):
        return torch.stack([self.captions[c] for c in captions])


def _write_syncaps(root):
    root.mkdir(parents=True, exist_ok=True)
    ids = [f"clip{i}.wav" for i in range(len(ORIGINAL))]
    for name in ids:
        (root / name).write_bytes(b"RIFF")

    def manifest(captions):
        return Manifest(
            1,
            tuple(AudioEntry(id=i, audio=f"/elsewhere/{i}", captions=(c,)) for i, c in zip(ids, captions, strict=True)),
        )

    write_manifest(manifest(ORIGINAL), root / "test.json")
    write_manifest(manifest(REVERSED), root / "test_reverse.json")
    write_manifest(manifest(REPLACED), root / "test_replaced.json")


def _embedder():
    basis = torch.eye(8)
    vectors = {c: basis[i] for i, c in enumerate(ORIGINAL)}
    vectors.update({c: basis[i] + 0.5 * basis[7] for i, c in enumerate(REVERSED) if c not in vectors})
    vectors.update({c: 0.5 * basis[i] + basis[(i + 1) % 4] for i, c in enumerate(REPLACED) if c not in vectors})
    return TableEmbedder(vectors)


def _run(root):
    sets = build_suite(RECIPES["syncaps"], root, "all")
    embedder = _embedder()
    cache = EmbeddingCache("0" * 64, {}, {}, root=None)
    return evaluate_suite(embedder, sets, cache, AudioLocator([root]), bootstrap_samples=50), embedder


def test_suite_from_files_shares_audio_and_scores_variants(tmp_path):
    _write_syncaps(tmp_path)
    result, embedder = _run(tmp_path)
    assert list(result["sets"]) == ["test", "test_reverse", "test_replaced"]
    assert sorted(embedder.audio_embedded) == ["clip0.wav", "clip1.wav", "clip2.wav", "clip3.wav"]
    assert result["embeddings"]["reused"]["audio"] == 8

    test = result["sets"]["test"]
    assert "five_captions" not in test
    assert test["one_caption"]["t2a"]["R1"] == 100.0

    reverse = result["sets"]["test_reverse"]
    assert reverse["variant_of"] == "test" and reverse["alteration"] == "reverse"
    assert reverse["order_accuracy"]["pairs"] == 2
    assert reverse["order_accuracy"]["accuracy"] == 100.0
    assert reverse["changes"]["one_caption"]["t2a"]["R1"] == 0.0

    replaced = result["sets"]["test_replaced"]
    assert replaced["order_accuracy"]["accuracy"] == 100.0
    assert replaced["changes"]["one_caption"]["t2a"]["R1"] == pytest.approx(-50.0)


def test_standard_suite_is_the_test_set_only(tmp_path):
    _write_syncaps(tmp_path)
    assert [s.name for s in build_suite(RECIPES["syncaps"], tmp_path, "standard")] == ["test"]
    assert [s.name for s in build_suite(RECIPES["syncaps"], tmp_path, "temporal")] == [
        "test",
        "test_reverse",
        "test_replaced",
    ]


def test_missing_audio_is_a_clear_error(tmp_path):
    _write_syncaps(tmp_path)
    (tmp_path / "clip2.wav").unlink()
    with pytest.raises(DtuError, match=r"test set test: 1 of 4 audio files not found under .*: clip2.wav"):
        _run(tmp_path)


def test_audio_is_found_by_name_in_subfolders(tmp_path):
    _write_syncaps(tmp_path)
    (tmp_path / "audio").mkdir()
    (tmp_path / "clip3.wav").rename(tmp_path / "audio" / "clip3.wav")
    result, _ = _run(tmp_path)
    assert result["sets"]["test"]["clips"] == 4


def test_variant_with_other_clips_is_a_clear_error(tmp_path):
    _write_syncaps(tmp_path)
    other = Manifest(1, tuple(AudioEntry(id=f"clip{i}.wav", audio="x", captions=(c,)) for i, c in enumerate(REVERSED)))
    write_manifest(other.subset([1, 0, 2, 3]), tmp_path / "test_reverse.json")
    with pytest.raises(DtuError, match="test_reverse .* must list the same clips in the same order"):
        _run(tmp_path)


def test_missing_base_set_is_a_clear_error(tmp_path):
    with pytest.raises(DtuError, match="no test set under .*: expected test.json"):
        build_suite(RECIPES["syncaps"], tmp_path, "all")


def test_audiocaps_temporal_suite_reads_the_papers_files(reference_data):
    sets = build_suite(RECIPES["audiocaps"], reference_data / "audiocaps", "temporal")
    assert [s.name for s in sets] == [
        "future_past",
        "future_past_reverse",
        "future_past_replace",
        "future_past_matched",
        "future_past_matched_replace",
    ]
    assert [len(s.manifest) for s in sets] == [592] * 5
    assert sets[1].variant_of == "future_past" and sets[1].alteration == "reverse"
    assert sets[2].source.endswith("test_audioset_5_future_past_replace.json")
    standard = build_suite(RECIPES["audiocaps"], reference_data / "audiocaps", "standard")
    assert [(s.name, len(s.manifest)) for s in standard] == [("test", 816)]


def test_missing_sets_are_derived_with_the_temporal_toolkit(tmp_path, reference_data):
    papers = reference_data / "audiocaps"
    (tmp_path / "test_full.json").write_bytes((papers / "test_full.json").read_bytes())
    derived = {s.name: s for s in build_suite(RECIPES["audiocaps"], tmp_path, "all", seed=20)}
    assert list(derived) == [
        "test",
        "future_past",
        "future_past_reverse",
        "future_past_replace",
        "future_past_matched",
        "future_past_matched_replace",
        "rearranged",
        "rearranged_future_past",
        "rearranged_future_past_reverse",
        "rearranged_future_past_replace",
    ]
    assert derived["future_past_reverse"].source == "reverse of future_past"
    assert derived["future_past_matched_replace"].variant_of == "future_past_matched"
    assert derived["future_past_matched_replace"].alteration == "replace_matched"
    for published in build_suite(RECIPES["audiocaps"], papers, "temporal"):
        ours = derived[published.name].manifest
        assert [e.id for e in ours.entries] == [e.id for e in published.manifest.entries]
    assert (
        derived["future_past"].manifest.captions
        == build_suite(RECIPES["audiocaps"], papers, "temporal")[0].manifest.captions
    )
    assert derived["rearranged"].manifest.captions != derived["test"].manifest.captions


def test_a_clip_repeated_in_a_test_set_is_refused(tmp_path):
    _write_syncaps(tmp_path)
    test = Manifest(1, tuple(AudioEntry(id=f"clip{i}.wav", audio="x", captions=(c,)) for i, c in enumerate(ORIGINAL)))
    write_manifest(test.subset([0, 1, 2, 3, 1]), tmp_path / "test.json")
    with pytest.raises(DtuError, match=r"test set test \(.*test.json\) lists clip1.wav 2 times \(1 clips repeated\)"):
        _run(tmp_path)
