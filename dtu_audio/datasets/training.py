"""The training dataset: one item per caption, random 10 s crops, positives/negatives, padded batches."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from dtu_audio.datasets.audio import crop_or_pad
from dtu_audio.datasets.temporal_pairs import PosNeg, sample_extras


@dataclass
class CaptionItem:
    """One (audio, caption) pair with its temporal extras (``[]`` or 2 positives + 2 negatives)."""

    waveform: np.ndarray
    caption: str
    audio_id: int
    extras: list[str]


@dataclass
class CaptionBatch:
    """A collated batch: ``waveforms`` ``[B, T]`` zero-padded to the longest clip, ``lengths`` ``[B]``."""

    waveforms: torch.Tensor
    lengths: torch.Tensor
    captions: list[str]
    audio_ids: torch.Tensor
    extras: list[list[str]]

    def __len__(self) -> int:
        return len(self.captions)


class CaptionDataset(Dataset):
    """Caption ``k`` of audio ``i`` of the kept audios, with its waveform read from ``waveforms[i]``.

    ``keep`` lists the manifest rows to use (bad audio left out); ``audio_id`` is the manifest row,
    so captions of the same clip share it. In training (``crop_rng_seed`` set) clips longer than
    ``max_samples`` are cropped at a random place and 2 + 2 extras are drawn, both from a generator
    seeded by (seed, epoch, item), so a resumed run sees the same data as an uninterrupted one.
    """

    def __init__(
        self,
        captions: Sequence[Sequence[str]],
        waveforms: Sequence[np.ndarray],
        keep: Sequence[int],
        max_samples: int,
        pos_neg: Sequence[Sequence[PosNeg | None]] | None = None,
        crop_rng_seed: int | None = None,
    ) -> None:
        self.captions = captions
        self.waveforms = waveforms
        self.max_samples = max_samples
        self.pos_neg = pos_neg
        self.seed = crop_rng_seed
        self.epoch = 0
        self.items = [(row, k) for row in keep for k in range(len(captions[row]))]

    def set_epoch(self, epoch: int) -> None:
        """Draw this epoch's crops and extras (call before iterating)."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> CaptionItem:
        row, k = self.items[index]
        rng = np.random.default_rng([self.seed, self.epoch, index]) if self.seed is not None else None
        waveform = crop_or_pad(self.waveforms[row], self.max_samples, rng)
        pos_neg = self.pos_neg[row][k] if self.pos_neg is not None else None
        extras = sample_extras(pos_neg, rng) if rng is not None else []
        return CaptionItem(waveform, self.captions[row][k], row, extras)


def collate_captions(items: Sequence[CaptionItem]) -> CaptionBatch:
    """Stack items, zero-padding every waveform at the end to the longest clip of the batch."""
    lengths = [item.waveform.shape[0] for item in items]
    waveforms = np.zeros((len(items), max(lengths)), dtype=np.float32)
    for row, item in enumerate(items):
        waveforms[row, : lengths[row]] = item.waveform
    return CaptionBatch(
        waveforms=torch.from_numpy(waveforms),
        lengths=torch.tensor(lengths),
        captions=[item.caption for item in items],
        audio_ids=torch.tensor([item.audio_id for item in items]),
        extras=[item.extras for item in items],
    )


class GlobalBatchSampler(Sampler[list[int]]):
    """This process's share of each shuffled global batch; the same global batches for any world size.

    Every epoch permutes the dataset with a generator seeded by ``seed + epoch`` and drops the last
    incomplete global batch; process ``rank`` of ``world_size`` takes its consecutive slice of each.
    ``start_batch`` skips the first batches of the first epoch iterated (resuming mid-epoch).
    """

    def __init__(self, size: int, global_batch: int, seed: int, rank: int = 0, world_size: int = 1) -> None:
        if global_batch % world_size:
            raise ValueError(f"global batch {global_batch} is not divisible by {world_size} processes")
        self.size, self.global_batch, self.seed = size, global_batch, seed
        self.rank, self.world_size = rank, world_size
        self.epoch = 0
        self.start_batch = 0

    def set_epoch(self, epoch: int, start_batch: int = 0) -> None:
        """Shuffle for ``epoch`` and start at global batch ``start_batch``."""
        self.epoch, self.start_batch = epoch, start_batch

    def __len__(self) -> int:
        return self.size // self.global_batch - self.start_batch

    def __iter__(self) -> Iterator[list[int]]:
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        order = torch.randperm(self.size, generator=generator).tolist()
        local = self.global_batch // self.world_size
        for b in range(self.start_batch, self.size // self.global_batch):
            start = b * self.global_batch + self.rank * local
            yield order[start : start + local]
