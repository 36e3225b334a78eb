"""Printing helpers shared by sub-commands: `--json` prints JSON on stdout and nothing else there."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_json(payload: Any) -> None:
    json.dump(payload, sys.stdout, indent=2, sort_keys=False, default=str)
    sys.stdout.write("\n")


def info(message: str) -> None:
    """Human-readable progress goes to stderr so that stdout stays machine-readable."""
    print(message, file=sys.stderr)
