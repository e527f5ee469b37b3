"""gradcheck on a 10,000-element input through the engine: fast_mode time and slow-mode cancel latency.

Usage: ``python -m benchmarks.gradcheck_speed [--repeats 5]``

With the engine warm (torch imported); the first fast-mode run also pays for
gradcheck's own first-call costs and is reported apart from the median.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time

from gradlab.engine import CheckRequest, Engine, EngineError, LoadRequest, Source
from gradlab.model.builtins import default_example
from gradlab.model.options import CheckOptions


def measure(repeats: int) -> dict:
    source = Source(str(default_example()))
    fast, cancel = [], []
    with Engine(timeout=300) as engine:
        engine.request(LoadRequest(source))
        for _ in range(repeats):
            started = time.perf_counter()
            engine.request(CheckRequest(source, options=CheckOptions(shape=(100, 100), fast_mode=True)))
            fast.append(time.perf_counter() - started)
        for _ in range(max(repeats // 2, 1)):
            engine.request(LoadRequest(source))  # wait until the restarted engine is ready
            progressed = threading.Event()
            asked = []

            def on_progress(step, progressed=progressed, asked=asked):
                if step.done > 0 and not progressed.is_set():
                    progressed.set()
                    threading.Timer(0.2, lambda: (asked.append(time.perf_counter()), engine.cancel())).start()

            try:
                engine.request(CheckRequest(source, options=CheckOptions(shape=(100, 100), gradgradcheck=False)), on_progress=on_progress)
            except EngineError as exc:
                assert exc.problem.kind == "cancelled"
                cancel.append(time.perf_counter() - asked[0])
    return {
        "fast_mode_10k_first_s": round(fast[0], 3),
        "fast_mode_10k_median_s": round(statistics.median(fast), 3),
        "slow_mode_cancel_latency_median_s": round(statistics.median(cancel), 3),
        "repeats": repeats,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    print(json.dumps(measure(parser.parse_args().repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
