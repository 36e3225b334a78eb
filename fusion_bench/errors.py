"""Exceptions with messages a user can act on. The CLI prints them as one `error:` line, exit code 1."""


class FusionBenchError(Exception):
    """Base class: every error the CLI turns into one line instead of a traceback."""


class ImageReadError(FusionBenchError):
    """A file could not be read as an image (missing, unreadable, truncated, unsupported)."""


class ImageFormatError(FusionBenchError):
    """An image was read but does not have what is required (channels, bit depth, size, value range)."""


class DatasetError(FusionBenchError):
    """A dataset folder is missing, empty, or does not follow its layout (e.g. a missing partner file)."""


class ChecksumError(FusionBenchError):
    """A downloaded or local file does not have the recorded sha256."""


class DownloadError(FusionBenchError):
    """A download failed (network, HTTP status, truncated transfer)."""


class UnknownNameError(FusionBenchError):
    """An unknown dataset, method, metric or convention name."""


class CheckpointError(FusionBenchError):
    """A checkpoint does not match the model it is loaded into (missing, unexpected or mis-shaped keys)."""


class ConfigError(FusionBenchError):
    """An invalid configuration key or value."""


class FusionOutputError(FusionBenchError):
    """A fuser produced an invalid output (NaN/Inf, wrong shape)."""


class UsageProblem(FusionBenchError):
    """Arguments that parse but do not make sense together (the CLI exits 2)."""


class EvaluationError(FusionBenchError):
    """An evaluation run stopped (e.g. a worker process died); the results written so far are kept."""
