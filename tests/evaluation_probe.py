"""`fusion-bench` with a probe in the metric SF, for the multi-process evaluation tests: run as a script
(`python tests/evaluation_probe.py evaluate --devices 2 ...`); Lightning starts the other ranks with the same
command, so they have the probe too. Environment:

- `PROBE_SLEEP`: seconds SF waits before computing (so that a run can be interrupted part-way);
- `PROBE_KILL=1`: SF kills its own process (SIGKILL, as the kernel's OOM killer would) on a flat fused
  image: the test makes one pair flat.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import replace

from fusion_bench.cli.main import main
from fusion_bench.metrics import registry

_SF = registry.get_metric("SF")


def probed_sf(sources, fused, convention="mefb"):
    time.sleep(float(os.environ.get("PROBE_SLEEP", "0")))
    if os.environ.get("PROBE_KILL") == "1" and float(fused.std()) == 0.0:
        os.kill(os.getpid(), signal.SIGKILL)
    return _SF.function(sources, fused, convention=convention)


registry._REGISTRY[_SF.name] = replace(_SF, function=probed_sf)

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
