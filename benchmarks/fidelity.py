"""Benchmark fidelity on the user's path: a fresh ``gradlab bench`` process against ``torch.utils.benchmark.Timer`` run directly.

Usage: ``python -m benchmarks.fidelity [--rounds 7] [--min-run-time 0.2] [--threads N]`` (threads: gradlab's default, 1)

The tutorial's three sigmoids — the custom Function, the same formula under
plain autograd ("naive") and ``torch.sigmoid`` — forward + backward on the
tutorial's 100×100 float32 input.  Each round runs, in this order:

1. the direct Timer, here, for each implementation (``blocked_autorange``, the
   statement ``torch.autograd.grad(f(x), x, ones)``), warmed up once;
2. ``python -m gradlab bench sigmoid.py --sizes 100x100 --json`` in a *new*
   process: what a user runs, cold, engine start-up included;
3. the direct Timer again.

A round's ratio is gradlab's median over the mean of the two direct medians
around it, and the figure reported is the median over rounds: shared machines
drift by tens of percent within seconds, and pairing cancels that drift.
``direct/direct`` (the second direct median over the first, median over
rounds) is the machine's own noise floor.
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import statistics
import subprocess
import sys

import torch
import torch.utils.benchmark as benchmark

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


def one_shot(threads: int, min_run_time: float, extra: tuple[str, ...] = ()) -> dict[str, dict]:
    """The rows of one fresh ``gradlab bench`` process at 100×100, by implementation."""
    command = [
        sys.executable, "-m", "gradlab", "bench", str(default_example()), "--sizes", "x".join(map(str, SHAPE)),
        "--threads", str(threads), "--min-run-time", str(min_run_time), "--json", *extra,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=dict(os.environ, PYTHONWARNINGS="ignore"))
    if done.returncode != 0:
        raise RuntimeError(f"gradlab bench failed ({done.returncode}): {done.stderr[-2000:]}")
    return {row["implementation"]: row for row in json.loads(done.stdout)["rows"]}


def measure(rounds: int = 5, min_run_time: float = 0.2, threads: int | None = None) -> dict:
    """Direct and one-shot medians, their paired ratio and the noise floor, per implementation."""
    threads = threads or BenchOptions().threads  # gradlab's default, 1 as Timer's
    timers = direct_timers(threads)
    direct: dict[str, list[float]] = {n: [] for n in NAMES}
    through: dict[str, list[float]] = {n: [] for n in NAMES}
    ratios: dict[str, list[float]] = {n: [] for n in NAMES}
    floors: dict[str, list[float]] = {n: [] for n in NAMES}
    for _ in range(rounds):
        before = {n: t.blocked_autorange(min_run_time=min_run_time).median for n, t in timers.items()}
        rows = one_shot(threads, min_run_time)
        after = {n: t.blocked_autorange(min_run_time=min_run_time).median for n, t in timers.items()}
        for name in NAMES:
            median = rows[name]["median_s"]
            direct[name] += [before[name], after[name]]
            through[name].append(median)
            ratios[name].append(median / ((before[name] + after[name]) / 2))
            floors[name].append(after[name] / before[name])
    result = {}
    for name, short in NAMES.items():
        result[short] = {
            "direct_us": round(statistics.median(direct[name]) * 1e6, 2),
            "gradlab_us": round(statistics.median(through[name]) * 1e6, 2),
            "ratio": round(statistics.median(ratios[name]), 3),
            "ratios": [round(r, 3) for r in ratios[name]],
            "direct_again_ratio": round(statistics.median(floors[name]), 3),
        }
    result["threads"] = threads
    result["rounds"] = rounds
    result["torch"] = str(torch.__version__)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--min-run-time", type=float, default=0.2)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    result = measure(args.rounds, args.min_run_time, args.threads)
    print(json.dumps(result))
    print(f"{'implementation':14} {'direct (µs)':>12} {'one-shot (µs)':>14} {'ratio':>7} {'direct/direct':>14}", file=sys.stderr)
    for short in NAMES.values():
        r = result[short]
        print(f"{short:14} {r['direct_us']:12.2f} {r['gradlab_us']:14.2f} {r['ratio']:7.3f} {r['direct_again_ratio']:14.3f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
