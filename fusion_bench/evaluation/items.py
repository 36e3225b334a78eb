"""The evaluation loop's data: items built from pending `Job`s, loaded through `FusionDataset`, split between
ranks.

An item is one pair of one dataset with every job to run on it, in the planned order (each method's main
job, then the jobs that re-score its images: `reproduce.evidence_jobs`); published fused images of the
pair are jobs of its item too. Keeping a pair's jobs in one item keeps them on one rank, so the metrics'
source caches (`metrics/_source_cache.py`) are computed once per pair.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import lightning as L
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset, Sampler

from fusion_bench.data.sample import FusionDataset, PairRecord
from fusion_bench.evaluation.jobs import Job
from fusion_bench.evaluation.worker import one_line


@dataclass(frozen=True)
class EvaluationItem:
    """One pair and the jobs to run on it, in order."""

    dataset: str
    image: str
    jobs: tuple[Job, ...]


def group_items(jobs: Sequence[Job]) -> list[EvaluationItem]:
    """The jobs grouped by pair (dataset, image), pairs in order of first appearance, jobs in their order."""
    groups: dict[tuple[str, str], list[Job]] = {}
    for job in jobs:
        groups.setdefault((job.dataset, job.image), []).append(job)
    return [EvaluationItem(dataset, image, tuple(group)) for (dataset, image), group in groups.items()]


class ItemDataset(Dataset):
    """Item `i`: {"jobs": its jobs, "sources": K tensors (1, C, H, W) as stored, "error": ""}, the sources
    loaded by `FusionDataset` (its size and channel checks); a pair that cannot be loaded gives
    `sources=None` and the reason in `error`, which every row of its jobs then carries."""

    def __init__(self, items: Sequence[EvaluationItem]) -> None:
        self.items = list(items)
        self.pairs = FusionDataset([PairRecord(f"{item.dataset}/{item.image}",
                                               tuple(Path(path) for path in item.jobs[0].sources))
                                    for item in self.items])

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        sources: list[torch.Tensor] | None = None
        error = ""
        try:
            sources = [source.unsqueeze(0) for source in self.pairs[index].sources]
        except Exception as exc:  # noqa: BLE001 - a pair that cannot be read is its rows' result
            error = one_line(exc)
        return {"jobs": self.items[index].jobs, "sources": sources, "error": error}


def item_cost(item: EvaluationItem) -> float:
    """An item's work, for sharing items between ranks: its number of jobs × the pixels of its first source
    (fusing and scoring both scale with them); 1 per job when that header cannot be read (the item's rows
    will say why)."""
    try:
        with Image.open(item.jobs[0].sources[0]) as image:
            width, height = image.size
    except (OSError, ValueError, IndexError):
        return float(len(item.jobs))
    return float(len(item.jobs) * width * height)


def balanced_shares(costs: Sequence[float], world: int) -> list[list[int]]:
    """Each rank's item indices: the costliest item first to the least loaded rank (ties to the lower rank),
    each share in item order. The same on every rank (no communication needed); with equal costs it is
    items r, r + world, .... A fixed split cannot hand a free rank more work as a pool could, so it balances
    the expected work instead."""
    loads = [0.0] * world
    shares: list[list[int]] = [[] for _ in range(world)]
    for index in sorted(range(len(costs)), key=lambda i: (-costs[i], i)):
        rank = min(range(world), key=lambda r: (loads[r], r))
        shares[rank].append(index)
        loads[rank] += costs[index]
    return [sorted(share) for share in shares]


class RankSampler(Sampler[int]):
    """Rank `rank` of `world` takes its share of the items (`balanced_shares` of `costs`, equal costs if
    none): every item on exactly one rank, none repeated or padded (unlike `DistributedSampler`)."""

    def __init__(self, count: int, rank: int, world: int, costs: Sequence[float] | None = None) -> None:
        if not 0 <= rank < world:
            raise ValueError(f"rank {rank} of world size {world}")
        if costs is not None and len(costs) != count:
            raise ValueError(f"{len(costs)} costs for {count} items")
        self.indices = balanced_shares(costs if costs is not None else [1.0] * count, world)[rank]

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)


class ItemData(L.LightningDataModule):
    """The items as a predict DataLoader; each rank's share is chosen once the Trainer knows the ranks."""

    def __init__(self, items: Sequence[EvaluationItem]) -> None:
        super().__init__()
        self.items = list(items)

    def predict_dataloader(self) -> DataLoader:
        sampler = RankSampler(len(self.items), self.trainer.global_rank, self.trainer.world_size,
                              [item_cost(item) for item in self.items])
        return DataLoader(ItemDataset(self.items), batch_size=None, sampler=sampler, num_workers=0)
