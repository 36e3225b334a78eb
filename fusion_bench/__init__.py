"""fusion_bench: experiment suite and leaderboard for multi-exposure (MEF) and multi-focus (MFF) image fusion."""

__version__ = "0.1.0"
