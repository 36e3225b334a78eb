"""Export a training checkpoint's EMA network as a weight file (what `mgdn-mef` ships and loads).

    python -m fusion_bench.training.export RUN_DIR/checkpoints/last.ckpt OUT.pth [--float16]

The Lightning checkpoint holds the EMA copy under `ema_network.*`; the exported file is that state dict
with the prefix removed (float16 on request, to stay under the repository's 25 MB limit), loadable into
the plain network with `load_state_dict(strict=True)`. `checkpoint_summary` gives what a model card
states: steps, seed, loss weights, data settings and the resolved config.
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path
from typing import Any

import torch

from fusion_bench.errors import CheckpointError

PREFIX = "ema_network."


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """A training checkpoint, read with `weights_only=True`: ours hold tensors and plain containers only
    (state dicts, hyper-parameters, loop and data state), so nothing else needs unpickling."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path}: not a checkpoint of this project that loads with weights_only=True "
                              f"({first})") from exc


def ema_state_dict(checkpoint: dict[str, Any], dtype: torch.dtype | None = None) -> dict[str, torch.Tensor]:
    """The EMA network's weights (prefix removed), optionally cast (floating tensors only)."""
    state = {key[len(PREFIX):]: value for key, value in checkpoint["state_dict"].items() if key.startswith(PREFIX)}
    if not state:
        raise CheckpointError("checkpoint has no EMA weights (ema_network.*); was it trained with optim.ema_decay=0?")
    if dtype is not None:
        state = {key: value.to(dtype) if value.is_floating_point() else value for key, value in state.items()}
    return state


def checkpoint_summary(checkpoint: dict[str, Any]) -> dict[str, Any]:
    """Steps, seed, loss weights, data settings and config of a training checkpoint (for model cards)."""
    config = dict(checkpoint.get("hyper_parameters", {}))
    return {"global_step": checkpoint["global_step"], "seed": config.get("seed"), "loss": config.get("loss"),
            "data": config.get("data"), "optim": config.get("optim"), "model": config.get("model"),
            "data_state": checkpoint.get("data_state"), "config": config}


def export_ema(checkpoint_path: str | Path, out: str | Path, float16: bool = False) -> Path:
    state = ema_state_dict(read_checkpoint(checkpoint_path), torch.float16 if float16 else None)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, out)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--float16", action="store_true", help="store floating tensors as float16")
    args = parser.parse_args(argv)
    print(export_ema(args.checkpoint, args.out, args.float16))


if __name__ == "__main__":
    main()
