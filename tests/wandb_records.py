"""Read what a W&B run wrote to its transaction log (`run-<id>.wandb`), for the tests.

wandb ≥ 0.31 has no Python reader of its own any more (the log is written by its Go core), but it ships
the protobuf schema: `wandb.proto.wandb_internal_pb2.Record`. The file is a 7-byte W&B header (":W&B",
a 2-byte magic, a version byte) followed by LevelDB's log format: 32 KiB blocks of chunks, each with a
7-byte header (masked CRC-32C, 2-byte little-endian length, type: 1 full, 2 first, 3 middle, 4 last);
fewer than 7 bytes left in a block are padding.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Iterator
from pathlib import Path

from wandb.proto import wandb_internal_pb2

BLOCK = 32 * 1024
FILE_HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def item_key(item: wandb_internal_pb2.HistoryItem | wandb_internal_pb2.ConfigItem) -> str:
    """The key of a history or config item: `key`, or `nested_key` joined with "/" (wandb writes either)."""
    return item.key or "/".join(item.nested_key)


def records(path: Path) -> Iterator[wandb_internal_pb2.Record]:
    """Every record of the log, in order; a damaged file raises ValueError naming it."""
    data = Path(path).read_bytes()
    if data[:4] != b":W&B":
        raise ValueError(f"{path}: not a W&B transaction log (starts {data[:4]!r})")
    position, pending = FILE_HEADER, b""
    while position + 7 <= len(data):
        left_in_block = BLOCK - position % BLOCK
        if left_in_block < 7:
            position += left_in_block
            continue
        _, length, kind = struct.unpack("<IHB", data[position:position + 7])
        chunk = data[position + 7:position + 7 + length]
        position += 7 + length
        if kind == 0 and length == 0:  # zero padding at the end of a block or file
            continue
        if kind not in (FULL, FIRST, MIDDLE, LAST) or len(chunk) != length:
            raise ValueError(f"{path}: damaged chunk at byte {position - 7 - length}")
        pending = chunk if kind in (FULL, FIRST) else pending + chunk
        if kind in (FULL, LAST):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            yield record
            pending = b""


def finished_records(path: Path, timeout: float = 60.0) -> list[wandb_internal_pb2.Record]:
    """Every record of a finished run's log. `run.finish()` can return before wandb's core process has
    written the last records, so this reads until the log ends with the run's `exit` record."""
    deadline = time.monotonic() + timeout
    while True:
        found = list(records(path))
        if found and found[-1].WhichOneof("record_type") == "exit":
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path}: no exit record after {timeout} s ({len(found)} records)")
        time.sleep(0.1)
