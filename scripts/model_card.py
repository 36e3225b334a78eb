"""Write the model card of weights exported from a training run (what `mgdn-mef` ships beside its weights).

    python scripts/model_card.py RUN_DIR WEIGHTS.pth OUT.md [--title mgdn-mef]

Reads the run's last checkpoint (`RUN_DIR/checkpoints/last.ckpt`: steps, seed, loss weights, data, optimiser,
model), its CSV log (`RUN_DIR/csv/**/metrics.csv`: the validation metrics at each validation, the last one
reported as final) and the exported weights (size, sha256, dtype). Everything in the card comes from those
files; the text around it states the protocol they encode.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import pandas as pd
import torch

from fusion_bench.training.export import checkpoint_summary, read_checkpoint


def validation_history(run_dir: Path) -> pd.DataFrame:
    """(step, val/*) rows of every CSV log of the run (resumed runs log to csv/resume<step>/), by step."""
    frames = [pd.read_csv(path) for path in sorted(run_dir.glob("csv/**/metrics.csv"))]
    if not frames:
        raise SystemExit(f"{run_dir}: no csv/**/metrics.csv log")
    log = pd.concat(frames, ignore_index=True)
    columns = [c for c in log.columns if c.startswith("val/")]
    rows = log.dropna(subset=columns, how="all")[["step", *columns]]
    rows = rows.drop_duplicates("step", keep="last").sort_values("step").reset_index(drop=True)
    return rows.astype({"step": int})


def weights_facts(path: Path) -> dict[str, str]:
    data = path.read_bytes()
    state = torch.load(path, map_location="cpu", weights_only=True)
    dtypes = sorted({str(v.dtype).replace("torch.", "") for v in state.values() if torch.is_tensor(v)})
    count = sum(v.numel() for v in state.values() if torch.is_tensor(v) and v.is_floating_point())
    return {"size": f"{len(data):,} bytes", "sha256": hashlib.sha256(data).hexdigest(), "dtype": ", ".join(dtypes),
            "parameters": f"{count:,}"}


def _yaml_block(value: object) -> str:
    from omegaconf import OmegaConf

    return OmegaConf.to_yaml(OmegaConf.create(value)).rstrip()


def render(title: str, summary: dict, history: pd.DataFrame, weights: dict[str, str], weights_name: str) -> str:
    config = summary["config"]
    data = summary["data"] or {}
    data = {key: value for key, value in data.items() if key in ("kind", data.get("kind"))}
    synthetic = data.get("synthetic_exposure", {}) if data.get("kind") == "synthetic_exposure" else data
    trainer = config.get("trainer", {})
    final = history.iloc[-1] if len(history) else None
    lines = [
        f"# Model card: `{title}`",
        "",
        f"Weights: `{weights_name}` ({weights['size']}, {weights['dtype']}, {weights['parameters']} parameters), "
        f"sha256 `{weights['sha256']}`. The exponential moving average (EMA) of the trained weights, as the "
        "authors' inference loads the EMA copy. Not the authors' weights: MGDN's authors published no MEF "
        "weights small enough to ship, nor their training code or loss.",
        "",
        "## Network",
        "",
        f"MGDN (Guan et al., ACM MM 2023), the published MEF setting: `{summary['model']}`.",
        "",
        "## Training data",
        "",
        f"Data kind `{data.get('kind')}`: exposure pairs synthesised from well-exposed images disjoint from "
        "every test set here (MEFB, the SICE pairs, the IFCNN-ME sequences and their scenes; the MFF test sets "
        "Lytro and MFFW are refused): both images of the MFIFB pairs of the sets "
        f"{', '.join(synthetic.get('mfifb_sets', []))}, and the scikit-image photographs "
        f"{', '.join(synthetic.get('skimage', []))}. Exposure model per {synthetic.get('crop_size')}×"
        f"{synthetic.get('crop_size')} crop: linearise with the sRGB curve, scale by 2^e with e ~ "
        f"U{synthetic.get('ev_under')} EV (under-exposed source) and U{synthetic.get('ev_over')} EV "
        f"(over-exposed source), add Gaussian noise of variance shot·L + read² (shot {synthetic.get('shot')}, "
        f"read {synthetic.get('read')}), clip to [0, 1], re-apply the sRGB curve, quantise to 8 bits "
        "(docs/training.md). Scenes are split train/validation by a seeded permutation (validation fraction "
        f"{synthetic.get('val_fraction')}); validation uses the centre {synthetic.get('val_size')}×"
        f"{synthetic.get('val_size')} crop of each held-out scene at fixed exposures, with the well-exposed "
        "crop as the reference of PSNR_ref / SSIM_ref.",
        "",
        "## Protocol",
        "",
        f"- steps: **{summary['global_step']}** (the authors' MEF checkpoint is at iteration 5,500), batch "
        f"{synthetic.get('batch_size')}, seed {summary['seed']}",
        f"- optimiser and schedule: `{summary['optim']}`",
        f"- gradient clipping: {trainer.get('gradient_clip_val')}; precision {trainer.get('precision')}; "
        f"accelerator {trainer.get('accelerator')}, devices {trainer.get('devices')}",
        f"- loss weights and settings: `{summary['loss']}` (SSIM, intensity and gradient terms in "
        "SwinFusion's form, plus our masked feature-NMI term: formula in docs/training.md)",
        f"- data stream position at the end: `{summary['data_state']}`",
        "",
        "## Validation metrics (held-out synthetic scenes)",
        "",
    ]
    if final is not None:
        lines += [f"Final (step {int(final['step'])}): "
                  + ", ".join(f"{c[4:]} {final[c]:.4f}" for c in history.columns if c.startswith("val/")), "",
                  history.to_markdown(index=False, floatfmt=["g"] + [".4f"] * (history.shape[1] - 1)), ""]
    else:
        lines += ["No validation was logged.", ""]
    lines += [
        "## Reproduce",
        "",
        "```",
        f"fusion-bench train experiments/{config.get('name')}.yaml run_dir=runs/{config.get('name')} trainer.threads=1",
        f"python -m fusion_bench.training.export runs/{config.get('name')}/checkpoints/last.ckpt {weights_name}",
        f"python scripts/model_card.py runs/{config.get('name')} {weights_name} MODEL_CARD.md",
        "```",
        "",
        "## Resolved configuration of the run",
        "",
        "```yaml",
        _yaml_block({k: v for k, v in config.items() if k not in ("run_dir", "resume")}),
        "```",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("weights", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--title", default="mgdn-mef")
    args = parser.parse_args(argv)
    summary = checkpoint_summary(read_checkpoint(args.run_dir / "checkpoints" / "last.ckpt"))
    text = render(args.title, summary, validation_history(args.run_dir), weights_facts(args.weights),
                  args.weights.name)
    args.out.write_text(text)
    print(args.out)


if __name__ == "__main__":
    main()
