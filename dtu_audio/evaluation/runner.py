"""Evaluate one model on a suite of test sets: locate audio, embed through the cache, score, diagnose."""

from __future__ import annotations

import time
from collections.abc import Sequence

import torch

from dtu_audio import metrics
from dtu_audio.datasets import temporal
from dtu_audio.datasets.temporal import CONNECTIVES
from dtu_audio.embedders.base import Embedder
from dtu_audio.errors import DtuError
from dtu_audio.evaluation.breakdown import OVERLAP_LABELS, connective_of, overlap_of
from dtu_audio.evaluation.diagnostics import grounding_control, pair_outcomes, recall_changes
from dtu_audio.evaluation.embedding_cache import EmbeddingCache
from dtu_audio.evaluation.prepare import AudioLocator
from dtu_audio.evaluation.statistics import breakdown, summarise
from dtu_audio.evaluation.suites import TestSet


def _protocols(audio: torch.Tensor, captions: torch.Tensor, per_audio: int, device) -> dict:
    scores = {"one_caption": metrics.retrieval_metrics(audio, captions[::per_audio], 1, device=device)}
    if per_audio > 1:
        scores = {"five_captions": metrics.retrieval_metrics(audio, captions, per_audio, device=device), **scores}
    return scores


def _check_same_clips(variant: TestSet, original: TestSet) -> None:
    same = [e.id for e in variant.manifest.entries] == [e.id for e in original.manifest.entries]
    if not same or variant.manifest.captions_per_audio != original.manifest.captions_per_audio:
        raise DtuError(
            f"test set {variant.name} ({variant.source}) must list the same clips in the same order, with as many "
            f"captions each, as {original.name} ({original.source}); remove it to have it derived again"
        )


def evaluate_suite(
    model: Embedder,
    test_sets: Sequence[TestSet],
    cache: EmbeddingCache,
    locator: AudioLocator,
    batch_size: int = 32,
    bootstrap_samples: int = 1000,
    seed: int = 0,
    device: str | torch.device | None = None,
) -> dict:
    """Metrics of every set, and for each variant its order accuracy and metric changes; plus timings."""
    timing = {"audio_embedding_s": 0.0, "text_embedding_s": 0.0, "metrics_s": 0.0}
    embedded: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
    results: dict[str, dict] = {}
    for test_set in test_sets:
        manifest = test_set.manifest
        start = time.perf_counter()
        audio = cache.audio(
            locator.paths(manifest, test_set.name), lambda p: model.embed_audio(p, batch_size=batch_size)
        )
        timing["audio_embedding_s"] += time.perf_counter() - start
        start = time.perf_counter()
        captions = cache.text(manifest.captions, lambda c: model.embed_text(c, batch_size=batch_size))
        timing["text_embedding_s"] += time.perf_counter() - start
        embedded[test_set.name] = (audio, captions)

        start = time.perf_counter()
        entry = {
            "kind": test_set.kind,
            "source": test_set.source,
            "clips": len(manifest),
            "captions_per_audio": manifest.captions_per_audio,
            **_protocols(audio, captions, manifest.captions_per_audio, device),
        }
        if test_set.variant_of is not None:
            original = next((s for s in test_sets if s.name == test_set.variant_of), None)
            if original is None:
                raise DtuError(f"test set {test_set.name} alters {test_set.variant_of}, which is not in the suite")
            entry.update(
                _variant_diagnostics(
                    test_set, original, embedded, results[original.name], entry, bootstrap_samples, seed
                )
            )
        timing["metrics_s"] += time.perf_counter() - start
        results[test_set.name] = entry
    return {"sets": results, "timing": timing, "embeddings": {"computed": cache.computed, "reused": cache.reused}}


def _variant_diagnostics(
    variant: TestSet,
    original: TestSet,
    embedded: dict[str, tuple[torch.Tensor, torch.Tensor]],
    original_scores: dict,
    variant_scores: dict,
    bootstrap_samples: int,
    seed: int,
) -> dict:
    """Order accuracy, the shuffled-audio control, the breakdowns by connective and overlap, the recall changes."""
    _check_same_clips(variant, original)
    audio, original_embeds = embedded[original.name]
    _, altered_embeds = embedded[variant.name]
    pairs = list(zip(original.manifest.captions, variant.manifest.captions, strict=True))
    rows = torch.tensor([i for i, (a, b) in enumerate(pairs) if a != b], dtype=torch.long)
    left_out = sum(a == b and temporal.has_temporal_cue(a) for a, b in pairs)
    clips = rows // variant.manifest.captions_per_audio
    captions, altered = original_embeds[rows], altered_embeds[rows]
    correct = pair_outcomes(audio, captions, altered, clips)
    clip_ids = clips.numpy()
    connectives = [connective_of(original.manifest.captions[i]) for i in rows.tolist()]
    overlaps = [overlap_of(original.manifest.entries[c]) for c in clip_ids]
    protocols = [p for p in ("five_captions", "one_caption") if p in original_scores]
    return {
        "variant_of": original.name,
        "alteration": variant.alteration,
        "order_accuracy": summarise(correct, clip_ids, bootstrap_samples, seed),
        **grounding_control(audio, captions, altered, clips, correct, bootstrap_samples, seed),
        "by_connective": breakdown(correct, clip_ids, connectives, CONNECTIVES, bootstrap_samples, seed),
        "by_overlap": breakdown(correct, clip_ids, overlaps, OVERLAP_LABELS, bootstrap_samples, seed),
        "pair_outcomes": {"clips": clip_ids.tolist(), "correct": correct.astype(int).tolist()},
        "left_out": left_out,
        "changes": {p: recall_changes(original_scores[p], variant_scores[p]) for p in protocols},
    }
