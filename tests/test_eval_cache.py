"""The embedding cache: computed once, reused across variants and runs, invalidated when inputs change."""

from __future__ import annotations

import torch

from dtu_audio.evaluation.embedding_cache import EmbeddingCache, file_sha256

AUDIO_SETTINGS = {"sample_rate": 32000, "max_clip_seconds": 10.0}
TEXT_SETTINGS = {"text_max_length": 30}


class CountingEmbedder:
    """Embeds a file from its bytes and a caption from its length, counting what it was asked."""

    def __init__(self):
        self.audio_calls: list[str] = []
        self.text_calls: list[str] = []

    def audio(self, paths):
        self.audio_calls += [p.name for p in paths]
        return torch.stack([torch.tensor([float(p.stat().st_size), 1.0]) for p in paths])

    def text(self, captions):
        self.text_calls += list(captions)
        return torch.stack([torch.tensor([float(len(c)), 2.0]) for c in captions])


def _files(tmp_path, count=3):
    paths = []
    for i in range(count):
        path = tmp_path / f"clip{i}.wav"
        path.write_bytes(b"x" * (10 + i))
        paths.append(path)
    return paths


def _cache(root, sha="a" * 64, checkpoint=None, audio=AUDIO_SETTINGS):
    return EmbeddingCache(sha, audio, TEXT_SETTINGS, root=root, source=checkpoint)


def test_each_file_and_caption_is_embedded_once(tmp_path):
    paths = _files(tmp_path)
    embedder = CountingEmbedder()
    cache = _cache(None)
    first = cache.audio(paths + paths[:1], embedder.audio)
    second = cache.audio(paths[1:], embedder.audio)
    assert embedder.audio_calls == ["clip0.wav", "clip1.wav", "clip2.wav"]
    assert first[:, 0].tolist() == [10.0, 11.0, 12.0, 10.0]
    assert torch.equal(second, first[1:3])
    cache.text(["a dog", "a cat", "a dog"], embedder.text)
    cache.text(["a cat", "rain"], embedder.text)
    assert embedder.text_calls == ["a dog", "a cat", "rain"]
    assert cache.computed == {"audio": 3, "text": 3}
    assert cache.reused == {"audio": 2, "text": 1}


def test_without_a_root_nothing_is_written(tmp_path):
    _cache(None).audio(_files(tmp_path), CountingEmbedder().audio)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip0.wav", "clip1.wav", "clip2.wav"]


def test_disk_cache_is_reused_by_the_next_run(tmp_path):
    paths, root = _files(tmp_path), tmp_path / "cache"
    _cache(root).audio(paths, CountingEmbedder().audio)
    _cache(root).text(["a dog"], CountingEmbedder().text)
    embedder = CountingEmbedder()
    rows = _cache(root).audio(paths, embedder.audio)
    _cache(root).text(["a dog"], embedder.text)
    assert embedder.audio_calls == [] and embedder.text_calls == []
    assert rows[:, 0].tolist() == [10.0, 11.0, 12.0]


def test_changed_file_or_audio_settings_are_embedded_again(tmp_path):
    paths, root = _files(tmp_path), tmp_path / "cache"
    _cache(root).audio(paths, CountingEmbedder().audio)
    paths[1].write_bytes(b"y" * 40)
    embedder = CountingEmbedder()
    rows = _cache(root).audio(paths, embedder.audio)
    assert embedder.audio_calls == ["clip1.wav"]
    assert rows[1, 0].item() == 40.0
    _cache(root, audio={**AUDIO_SETTINGS, "max_clip_seconds": 5.0}).audio(paths, embedder.audio)
    assert embedder.audio_calls == ["clip1.wav", "clip0.wav", "clip1.wav", "clip2.wav"]


def test_changed_checkpoint_invalidates_and_removes_its_old_embeddings(tmp_path):
    paths, root = _files(tmp_path), tmp_path / "cache"
    checkpoint = tmp_path / "model.pt"
    checkpoint.write_bytes(b"weights v1")
    old_sha = file_sha256(checkpoint)
    _cache(root, old_sha, checkpoint).audio(paths, CountingEmbedder().audio)
    assert (root / old_sha).is_dir()

    checkpoint.write_bytes(b"weights v2")
    new_sha = file_sha256(checkpoint)
    embedder = CountingEmbedder()
    _cache(root, new_sha, checkpoint).audio(paths, embedder.audio)
    assert new_sha != old_sha
    assert embedder.audio_calls == ["clip0.wav", "clip1.wav", "clip2.wav"]
    assert not (root / old_sha).exists()
    assert (root / new_sha).is_dir()


def test_damaged_cache_file_is_rebuilt(tmp_path):
    paths, root = _files(tmp_path), tmp_path / "cache"
    cache = _cache(root)
    cache.audio(paths, CountingEmbedder().audio)
    for stored in cache.folder.glob("audio-*.pt"):
        stored.write_bytes(b"not a tensor file")
    embedder = CountingEmbedder()
    _cache(root).audio(paths, embedder.audio)
    assert len(embedder.audio_calls) == 3
