"""Data: dataset discovery per benchmark layout, a lazy `Dataset` of fusion samples, Lightning DataModules,
the dataset catalogue with per-file checksums, and downloads.

API (what the rest of fusion_bench uses):

- `PairRecord(name, source_paths, target_path=None, sequence_paths=())`: the files of one sample.
- `FusionDataset(records, root=None, channels=None, bit_depth=None)`: `torch.utils.data.Dataset`; item `i`
  is a `FusionSample` read lazily; `.records`, `.root`, `.names`. `channels` "rgb"/"gray" requires that
  kind of file (via `fusion_bench.io.read_image`); `bit_depth=8` rejects 16-bit files; a pair whose images
  differ in size raises `DatasetError` naming both files.
- `FusionSample`: `sources` list of (C, H, W) float32 in [0, 1]; `target` (C, H, W) or None; `name` (stable:
  "Arno", "lytro_01", "mffw_03"); `paths`; `bit_depth` (8 or 16).
- `collate_single`: batch size 1 → dict with `sources` list of (1, C, H, W), `target` (1, C, H, W) or None,
  `name` [str], `paths`, `bit_depth`. `collate_stack` for same-size training crops (B, C, H, W).
- `DATASETS: dict[str, DatasetInfo]`, `get_dataset(name, root=None, **options) -> FusionDataset`
  (`fusion_bench.data.catalogue`): "MEFB", "SICE", "Lytro", "MFFW", "MFIFB", "RealMFF", "IFCNN-ME",
  "folder". Unknown name → `UnknownNameError`.
- Layout discovery, one module each: `mefb`, `mfifb`, `lytro`, `sice`, `realmff`, `sequences` (IFCNN-ME),
  `folder` (user data): `discover(root, **options) -> list[PairRecord]`.
- `fusion_bench.data.mefb.read_published_scores(root) -> DataFrame[image, method, metric, value]`.
- `fusion_bench.data.mfifb.iter_published_fused(root, sets=("lytro", "mffw"))` → (pair, method, path).
- `fusion_bench.data.datamodules.FusionDataModule`: test split = whole benchmark, batch size 1; train/val
  with a seeded split file and paired kornia crops/flips where a dataset has training data.
- Layout discovery raises `layout.LayoutError` (a `DatasetError`) carrying every problem found and the
  complete pairs beside them, so that `fetch.verify_dataset` reports a whole folder in one pass.
- `fusion_bench.data.download`: `ensure_file`, `download`, `verify_file`; `fusion_bench.data.fetch`:
  `download_dataset`, `verify_dataset`, and for optional parts (`catalogue.parts`: MEFB's published fused
  images) `download_part`, `part_files`.
"""

from fusion_bench.data.catalogue import DATASETS, DatasetInfo, get_dataset, get_info
from fusion_bench.data.sample import FusionDataset, FusionSample, PairRecord, collate_single, collate_stack

__all__ = [
    "DATASETS",
    "DatasetInfo",
    "FusionDataset",
    "FusionSample",
    "PairRecord",
    "collate_single",
    "collate_stack",
    "get_dataset",
    "get_info",
]
