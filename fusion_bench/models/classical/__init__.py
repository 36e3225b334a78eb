"""Classical fusers on kornia, OpenCV, PyWavelets and scikit-image operators. Importing this package
registers every method (one module per method)."""

from fusion_bench.models.classical import average  # noqa: F401  (registers on import)
