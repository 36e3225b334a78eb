"""Ports of published fusion networks with their published weights and the authors' test protocols.

Importing this package registers every port (the registry imports it); each module holds one method's
network, its checkpoint key map and its protocol. `checkpoint` loads the published files safely.
"""

from fusion_bench.models.ports import ifcnn  # noqa: F401  (registers ifcnn-max, ifcnn-mean)
from fusion_bench.models.ports import mefnet  # noqa: F401  (registers mefnet)
from fusion_bench.models.ports import cunet  # noqa: F401  (registers cunet-mef, cunet-mff)
from fusion_bench.models.ports import u2fusion  # noqa: F401  (registers u2fusion-port)
from fusion_bench.models.ports import sesf  # noqa: F401  (registers sesf)
