"""Benchmark fidelity: gradlab's medians against ``torch.utils.benchmark.Timer`` run directly, same run.

Usage: ``python -m benchmarks.fidelity [--rounds 9] [--min-run-time 0.3]``

The tutorial's three sigmoids — the custom Function, the same formula under
plain autograd ("naive") and ``torch.sigmoid`` — forward + backward on the
tutorial's 100×100 float32 input.  gradlab measures each through its benchmark
engine process (``sizes=((100, 100),)``); the direct Timer runs here on a
100×100 tensor with the same statement, ``torch.autograd.grad(f(x), x, ones)``.

Shared machines drift by tens of percent within seconds, so the two are
interleaved finely: each round measures, per implementation, direct → gradlab
→ direct, and ``ratio`` is the median over rounds of gradlab's median divided
by the mean of the two direct medians around it.  ``direct/direct`` — the
median over rounds of the second direct median over the first — is the
machine's own noise floor.
"""

from __future__ import annotations

import argparse
import json
import runpy
import statistics
import sys

import torch
import torch.utils.benchmark as benchmark

from gradlab.engine import BenchRequest, Engine, LoadRequest, Source
from gradlab.model.builtins import default_example
from gradlab.model.options import BenchOptions

NAMES = {"custom Function": "custom", "autograd of forward": "naive", "torch.sigmoid": "builtin"}
SHAPE = (100, 100)


def direct_timers(threads: int) -> dict[str, benchmark.Timer]:
    """One warmed-up Timer per implementation, on the tutorial's 100×100 input."""
    sigmoid = runpy.run_path(str(default_example()))["Sigmoid"]
    implementations = {
        "custom Function": sigmoid.apply,
        "autograd of forward": lambda x: 1 / (1 + torch.exp(-x)),
        "torch.sigmoid": torch.sigmoid,
    }
    x = torch.randn(*SHAPE, requires_grad=True)
    ones = torch.ones(*SHAPE)
    timers = {}
    for name, fn in implementations.items():
        timer = benchmark.Timer(
            stmt="torch.autograd.grad(fn(x), x, ones)", globals={"torch": torch, "fn": fn, "x": x, "ones": ones}, num_threads=threads
        )
        timer.timeit(20)  # warm-up: first calls pay for lazy initialisation
        timers[name] = timer
    return timers


def measure(rounds: int = 9, min_run_time: float = 0.3) -> dict:
    """gradlab's and the direct Timer's medians, their paired ratio and the noise floor, per implementation."""
    threads = torch.get_num_threads()
    timers = direct_timers(threads)
    direct: dict[str, list[float]] = {n: [] for n in NAMES}
    through: dict[str, list[float]] = {n: [] for n in NAMES}
    ratios: dict[str, list[float]] = {n: [] for n in NAMES}
    floors: dict[str, list[float]] = {n: [] for n in NAMES}  # the direct Timer against itself a moment later
    source = Source(str(default_example()))
    with Engine(timeout=600) as engine:
        engine.request(LoadRequest(source))  # let the engine finish importing torch before timing anything
        for index in range(rounds):
            names = list(NAMES)
            names = names[index % len(names):] + names[: index % len(names)]  # no implementation always goes first
            for name in names:
                before = timers[name].blocked_autorange(min_run_time=min_run_time).median
                request = BenchRequest(source, options=BenchOptions(sizes=(SHAPE,), modes=("both",), implementations=(name,), threads=threads, min_run_time=min_run_time))
                (row,) = engine.request(request).rows
                after = timers[name].blocked_autorange(min_run_time=min_run_time).median
                direct[name] += [before, after]
                through[name].append(row.median_s)
                ratios[name].append(row.median_s / ((before + after) / 2))
                floors[name].append(after / before)
    result = {}
    for name, short in NAMES.items():
        result[short] = {
            "direct_us": round(statistics.median(direct[name]) * 1e6, 2),
            "gradlab_us": round(statistics.median(through[name]) * 1e6, 2),
            "ratio": round(statistics.median(ratios[name]), 3),
            "direct_again_ratio": round(statistics.median(floors[name]), 3),
        }
    result["threads"] = threads
    result["rounds"] = rounds
    result["torch"] = str(torch.__version__)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--min-run-time", type=float, default=0.3)
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
