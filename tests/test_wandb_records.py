"""tests/wandb_records.py reads a W&B offline log that spans many 32 KiB blocks (records split across
blocks), record for record, against what was logged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wandb_records import finished_records, item_key, records


def test_a_log_over_many_blocks_is_read_record_for_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import wandb

    monkeypatch.setenv("WANDB_MODE", "offline")
    run = wandb.init(project="p", dir=str(tmp_path), mode="offline", config={"text": "x" * 70_000, "seed": 3})
    for step in range(1500):
        run.log({"value": step * 0.5, "name": f"row-{step}"}, step=step)
    run.finish()
    [log] = list(tmp_path.glob("wandb/offline-run-*/run-*.wandb"))
    assert log.stat().st_size > 10 * 32 * 1024
    history, config = [], {}
    for record in finished_records(log):
        if record.WhichOneof("record_type") == "history":
            history.append({item_key(item): json.loads(item.value_json) for item in record.history.item})
        elif record.WhichOneof("record_type") == "run":  # the config given to `wandb.init`
            config.update({item_key(item): json.loads(item.value_json) for item in record.run.config.update})
    assert [(row["_step"], row["value"], row["name"]) for row in history] == \
        [(step, step * 0.5, f"row-{step}") for step in range(1500)]
    assert config["text"] == "x" * 70_000 and config["seed"] == 3  # one record over three blocks


def test_a_file_that_is_no_wandb_log_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "run-x.wandb"
    path.write_bytes(b"PK\x03\x04 not a log")
    with pytest.raises(ValueError, match=f"{path}: not a W&B transaction log"):
        list(records(path))
