"""Run the benchmarks under bench/ and print one line per figure, baselines on their own lines.

Every ``bench/bench_<name>.py`` with a ``run()`` is a benchmark; ``python -m bench`` runs them all,
``python -m bench web matching`` only those named (``make bench`` runs them all). The web pages'
bench is ``bench_web.py`` (100,000 alerts; ``TRIGGERWATCH_BENCH_SCALE=0.05`` for a quick run).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if argv:
        unknown = [a for a in argv if f"bench_{a}" not in names]
        if unknown:
            print(f"no such benchmark: {', '.join(unknown)} (have: {', '.join(n[6:] for n in names)})")
            return 2
        names = [f"bench_{a}" for a in argv]
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        for figure, value, unit in module.run():
            print(f"{figure}: {value:.3f} {unit}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
