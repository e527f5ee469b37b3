"""Do gradlab's ratios between implementations survive a loaded machine?

Usage: ``python -m benchmarks.loaded [--runs 3] [--busy 2] [--min-run-time 0.2]``

Runs ``gradlab bench sigmoid.py --sizes 100x100`` (the tutorial's three
sigmoids, forward + backward) in fresh processes, alternately on a quiet
machine and with ``--busy`` processes spinning in pure Python (by default
two: one per core on the 2-core machine this was written on).  For each run it
takes the ratios custom/built-in and naive/built-in; the figure reported is
the loaded median ratio over the quiet median ratio, per pair.  The target:
within 20 % of 1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from benchmarks.fidelity import NAMES, one_shot
from gradlab.model.options import BenchOptions

PAIRS = (("custom Function", "torch.sigmoid"), ("autograd of forward", "torch.sigmoid"), ("custom Function", "autograd of forward"))


def _busy(count: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def _ratios(rows: dict) -> dict[str, float]:
    return {f"{NAMES[a]}/{NAMES[b]}": rows[a]["median_s"] / rows[b]["median_s"] for a, b in PAIRS}


def measure(runs: int = 3, busy: int = 2, min_run_time: float = 0.2, threads: int | None = None) -> dict:
    """Quiet and loaded ratios per pair, their medians, and loaded over quiet."""
    quiet: dict[str, list[float]] = {}
    loaded: dict[str, list[float]] = {}
    times: dict[str, dict[str, list[float]]] = {"quiet": {}, "loaded": {}}
    threads = threads or BenchOptions().threads
    for _ in range(runs):
        rows = one_shot(threads, min_run_time)
        for key, value in _ratios(rows).items():
            quiet.setdefault(key, []).append(value)
        for name, row in rows.items():
            times["quiet"].setdefault(NAMES[name], []).append(row["median_s"])
        spinners = _busy(busy)
        try:
            time.sleep(0.5)
            rows = one_shot(threads, min_run_time)
        finally:
            for spinner in spinners:
                spinner.kill()
                spinner.wait()
        for key, value in _ratios(rows).items():
            loaded.setdefault(key, []).append(value)
        for name, row in rows.items():
            times["loaded"].setdefault(NAMES[name], []).append(row["median_s"])
    result = {"runs": runs, "busy": busy, "threads": threads, "pairs": {}}
    for key in quiet:
        q, ld = statistics.median(quiet[key]), statistics.median(loaded[key])
        result["pairs"][key] = {"quiet": round(q, 3), "loaded": round(ld, 3), "loaded_over_quiet": round(ld / q, 3)}
    result["median_us"] = {state: {n: round(statistics.median(v) * 1e6, 1) for n, v in by_name.items()} for state, by_name in times.items()}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--busy", type=int, default=2)
    parser.add_argument("--min-run-time", type=float, default=0.2)
    parser.add_argument("--threads", type=int, default=None, help="threads gradlab times with (default: gradlab's, 1)")
    args = parser.parse_args()
    result = measure(args.runs, args.busy, args.min_run_time, args.threads)
    print(json.dumps(result))
    print(f"{'ratio':16} {'quiet':>7} {'loaded':>7} {'loaded/quiet':>13}", file=sys.stderr)
    for key, r in result["pairs"].items():
        print(f"{key:16} {r['quiet']:7.3f} {r['loaded']:7.3f} {r['loaded_over_quiet']:13.3f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
