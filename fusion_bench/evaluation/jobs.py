"""What one evaluation does, as data: a `Job` is one image of one method on one dataset.

A job either fuses the sources with a registered method, stores the fused image under its storage
protocol and scores the stored file, or (for published fused images, and for a method's images scored
again in another convention or protocol) only scores an existing or derived file.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    """One image to produce (optionally) and score.

    Attributes:
        method: registry name (`fuse=True`) or the published method's name (`fuse=False`).
        dataset: catalogue name.
        image: the pair's name.
        sources: source image paths, in the dataset's order (MEF: under- then over-exposed).
        convention: metric convention, "mefb" or "gray".
        storage: storage protocol of the scored file (`fusion_bench.io.storage.STORAGE_PROTOCOLS`).
        metrics: our metric names to compute.
        config: the resolved method config as sorted (key, value) pairs (empty for published outputs).
        config_hash: key of the config (see `fusion_bench.models.registry.config_hash`).
        code_version: see `fusion_bench.evaluation.versions` (last commit changing the code behind the row).
        fused_path: the file that is scored: the fused image stored under `storage` (written from
            `output_path` when absent), or a published fused image.
        output_path: the method's fused image as a lossless PNG, written when fusing ("" for published
            fused images).
        part_path: the per-image results file; its existence means "done".
        fuse: whether to run the method, or only score `fused_path`.
        provenance: label for the rows (schema.PROVENANCES).
        source: label detail (method label, or where published outputs come from).
        jpeg_tables: the JPEG whose quantisation tables and chroma sampling a stored JPEG takes (the
            `source-tables` style of `imwrite`), "" for MATLAB imwrite's defaults.
    """

    method: str
    dataset: str
    image: str
    sources: tuple[str, ...]
    convention: str
    storage: str
    metrics: tuple[str, ...]
    config: tuple[tuple[str, object], ...]
    config_hash: str
    code_version: str
    fused_path: str
    output_path: str
    part_path: str
    fuse: bool
    provenance: str
    source: str
    jpeg_tables: str = ""

    @property
    def key(self) -> str:
        """Identity of the work item, independent of how the job list was built."""
        return f"{self.method}\x1f{self.dataset}\x1f{self.image}\x1f{self.convention}\x1f{self.storage}"
