"""Classical fusers on kornia, OpenCV, PyWavelets and scikit-image operators. Importing this package
registers every method (one module per method)."""

from fusion_bench.models.classical import (  # noqa: F401  (each module registers its method on import)
    average,
    dwt,
    focus_measure,
    gff,
    laplacian_pyramid,
    max_abs,
    mertens,
)
