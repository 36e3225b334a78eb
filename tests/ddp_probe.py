"""`fusion-bench` with a probe in `FusionModule`, for the DDP test: run as a script
(`python tests/ddp_probe.py train ...`), so that Lightning starts the other ranks with the same script.

Each rank writes `<run_dir>/probe/rank<r>.pt` at the end of training, per step: the indices of the samples
in its batch (from their names, "<image>#<k>"), its local gradient (computed with `torch.autograd.grad`
in the training step, which DDP's reducer does not see), the gradient after backward (after DDP's
all-reduce) and the parameters after the optimiser step, each flattened into one vector.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import torch

from fusion_bench.cli.main import main
from fusion_bench.training.module import FusionModule

_training_step = FusionModule.training_step
_on_after_backward = FusionModule.on_after_backward
_optimizer_step = FusionModule.optimizer_step


def _flat(tensors: list[torch.Tensor]) -> torch.Tensor:
    return torch.cat([t.detach().reshape(-1).clone() for t in tensors])


def _probe(module: FusionModule) -> dict[str, list]:
    if not hasattr(module, "_probe"):
        module._probe = {"samples": [], "local_gradient": [], "gradient": [], "parameters": []}
    return module._probe


def training_step(self: FusionModule, batch: dict, batch_idx: int) -> torch.Tensor:
    total = _training_step(self, batch, batch_idx)
    parameters = [p for p in self.network.parameters() if p.requires_grad]
    local = torch.autograd.grad(total, parameters, retain_graph=True, allow_unused=True)
    probe = _probe(self)
    probe["samples"].append([int(name.rsplit("#", 1)[1]) for name in batch["name"]])
    probe["local_gradient"].append(_flat([g if g is not None else torch.zeros_like(p)
                                          for g, p in zip(local, parameters)]))
    return total


def on_after_backward(self: FusionModule) -> None:
    _on_after_backward(self)
    parameters = [p for p in self.network.parameters() if p.requires_grad]
    _probe(self)["gradient"].append(_flat([p.grad if p.grad is not None else torch.zeros_like(p)
                                           for p in parameters]))


def optimizer_step(self: FusionModule, *args: Any, **kwargs: Any) -> None:
    _optimizer_step(self, *args, **kwargs)
    _probe(self)["parameters"].append(_flat(list(self.network.parameters())))
    if self.global_step + 1 == self.trainer.max_steps:
        folder = Path(self.trainer.default_root_dir) / "probe"
        folder.mkdir(parents=True, exist_ok=True)
        torch.save(_probe(self), folder / f"rank{self.global_rank}.pt")


FusionModule.training_step = training_step
FusionModule.on_after_backward = on_after_backward
FusionModule.optimizer_step = optimizer_step

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
