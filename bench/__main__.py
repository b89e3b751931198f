"""Run every benchmark under bench/ and print one line per figure, baselines on their own lines."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        for figure, value, unit in module.run():
            print(f"{figure}: {value:.3f} {unit}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
