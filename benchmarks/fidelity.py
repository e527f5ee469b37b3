"""Benchmark fidelity: gradlab's medians against ``torch.utils.benchmark.Timer`` run directly, same run.

Usage: ``python -m benchmarks.fidelity [--rounds 3] [--min-run-time 0.5]``

The tutorial's three sigmoids — the custom Function, the same formula under
plain autograd ("naive") and ``torch.sigmoid`` — forward + backward on a
100×100 float32 input.  gradlab measures them through its benchmark engine
process (10,000 elements); the direct Timer runs here on the 100×100 tensor
with the same statement: ``torch.autograd.grad(f(x), x, ones)``.  Each round
runs direct, gradlab, direct again, so drift hits both; ``ratio`` is gradlab's
median over the median of all direct measurements, and ``direct/direct`` — the
second direct median over the first — is the machine's own noise floor.
"""

from __future__ import annotations

import argparse
import json
import runpy
import statistics
import sys

import torch
import torch.utils.benchmark as benchmark

from gradlab.core.builtins import default_example
from gradlab.engine import BenchRequest, Engine, LoadRequest, Source

NAMES = {"custom Function": "custom", "autograd of forward": "naive", "torch.sigmoid": "builtin"}


def direct_medians(threads: int, min_run_time: float) -> dict[str, float]:
    sigmoid = runpy.run_path(str(default_example()))["Sigmoid"]
    implementations = {
        "custom Function": sigmoid.apply,
        "autograd of forward": lambda x: 1 / (1 + torch.exp(-x)),
        "torch.sigmoid": torch.sigmoid,
    }
    x = torch.randn(100, 100, requires_grad=True)
    ones = torch.ones(100, 100)
    medians = {}
    for name, fn in implementations.items():
        timer = benchmark.Timer(
            stmt="torch.autograd.grad(fn(x), x, ones)", globals={"torch": torch, "fn": fn, "x": x, "ones": ones}, num_threads=threads
        )
        timer.timeit(20)  # warm-up: first calls pay for lazy initialisation
        medians[name] = timer.blocked_autorange(min_run_time=min_run_time).median
    return medians


def measure(rounds: int = 3, min_run_time: float = 0.5) -> dict:
    """gradlab's and the direct Timer's medians, their ratio and the noise floor, per implementation."""
    threads = torch.get_num_threads()
    direct: dict[str, list[float]] = {n: [] for n in NAMES}
    again: dict[str, list[float]] = {n: [] for n in NAMES}  # the noise floor: direct against itself
    through: dict[str, list[float]] = {n: [] for n in NAMES}
    request = BenchRequest(Source(str(default_example())), sizes=(10_000,), modes=("both",), threads=threads, min_run_time=min_run_time)
    with Engine(timeout=600) as engine:
        engine.request(LoadRequest(request.source))  # let the engine finish importing torch before timing anything
        for _ in range(rounds):
            for name, value in direct_medians(threads, min_run_time).items():
                direct[name].append(value)
            for row in engine.request(request).rows:
                through[row.implementation].append(row.median_s)
            for name, value in direct_medians(threads, min_run_time).items():
                again[name].append(value)
    result = {}
    for name, short in NAMES.items():
        d, g = statistics.median(direct[name] + again[name]), statistics.median(through[name])
        result[short] = {
            "direct_us": round(d * 1e6, 2),
            "gradlab_us": round(g * 1e6, 2),
            "ratio": round(g / d, 3),
            "direct_again_ratio": round(statistics.median(again[name]) / statistics.median(direct[name]), 3),
        }
    result["threads"] = threads
    result["torch"] = str(torch.__version__)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--min-run-time", type=float, default=0.5)
    args = parser.parse_args()
    result = measure(args.rounds, args.min_run_time)
    print(json.dumps(result))
    print(f"{'implementation':14} {'direct (us)':>12} {'gradlab (us)':>13} {'ratio':>7} {'direct/direct':>14}", file=sys.stderr)
    for short in NAMES.values():
        r = result[short]
        print(f"{short:14} {r['direct_us']:12.2f} {r['gradlab_us']:13.2f} {r['ratio']:7.3f} {r['direct_again_ratio']:14.3f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
