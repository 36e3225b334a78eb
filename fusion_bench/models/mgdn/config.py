"""MGDN hyper-parameters as data, and the two published settings.

The names follow `docs/mgdn-architecture.md`: C = `channels`, L = `len(depths)`, D = `depths[i]`,
h = `heads[i]`, w = `window`, r = `mlp_ratio`, k = `kernel_size`, hc = `cross_heads`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from fusion_bench.errors import ConfigError


@dataclass(frozen=True)
class MGDNConfig:
    """One MGDN network. `drop_path` is the largest stochastic-depth rate (reached by the last block)."""

    channels: int = 30
    depths: tuple[int, ...] = (3, 3)
    heads: tuple[int, ...] = (3, 3)
    window: int = 4
    mlp_ratio: float = 2.0
    kernel_size: int = 7
    cross_heads: int = 6
    drop_path: float = 0.1
    in_channels: int = 3

    def __post_init__(self) -> None:
        if len(self.depths) != len(self.heads) or not self.depths:
            raise ConfigError(f"MGDN: depths {self.depths} and heads {self.heads} need the same non-zero length")
        for heads in (*self.heads, self.cross_heads):
            if heads < 1 or self.channels % heads:
                raise ConfigError(f"MGDN: channels={self.channels} is not divisible by {heads} heads")
        if self.channels < 8:
            raise ConfigError(f"MGDN: channels={self.channels}; the local branch needs at least 8 (C/8 ≥ 1)")
        if self.window < 2 or self.window % 2:
            raise ConfigError(f"MGDN: window={self.window} must be an even number ≥ 2 (shift = window / 2)")
        if self.kernel_size < 1 or self.kernel_size % 2 == 0:
            raise ConfigError(f"MGDN: kernel_size={self.kernel_size} must be odd")
        if not 0.0 <= self.drop_path < 1.0:
            raise ConfigError(f"MGDN: drop_path={self.drop_path} must be in [0, 1)")

    @classmethod
    def from_dict(cls, values: dict) -> MGDNConfig:
        """Build from plain data (e.g. YAML); lists become tuples, an unknown key is a `ConfigError`."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"MGDN: unknown config key(s) {unknown}; allowed: {sorted(known)}")
        fixed = {key: tuple(value) if isinstance(value, list) else value for key, value in values.items()}
        return cls(**fixed)

    def to_dict(self) -> dict:
        return asdict(self)


PRESETS: dict[str, MGDNConfig] = {
    # The setting of the published multi-focus weights (Pretrain_model/MFF/62000_E.pth).
    "mgdn-mff": MGDNConfig(channels=30, depths=(3, 3), heads=(3, 3), window=4),
    # The published multi-exposure setting; its weights are trained by this project.
    "mgdn-mef": MGDNConfig(channels=60, depths=(6, 6), heads=(6, 6), window=8),
}
