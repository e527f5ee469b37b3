"""This machine's memory bandwidth, as a large ``copy_`` achieves it: measured once, then cached.

The cost model (:mod:`gradlab.model.cost_model`) states an implementation's
per-element cost as a fraction of what memory can deliver; this is that
ceiling.  A copy reads and writes each byte once, so the bandwidth counts
both.  The figure is cached per machine (CPU or GPU name, device, torch
version, threads) in ``$GRADLAB_CACHE_DIR`` or ``$XDG_CACHE_HOME/gradlab``.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics

import torch
import torch.utils.benchmark as benchmark

#: Bytes copied per call: far beyond any CPU cache (and a GPU's L2).
COPY_BYTES = 64 * 1024 * 1024
CACHE_FILE = "copy_bandwidth.json"


def cache_dir() -> str:
    """Where measured figures are cached."""
    if os.environ.get("GRADLAB_CACHE_DIR"):
        return os.environ["GRADLAB_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "gradlab")


def _device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _key(device: str, threads: int) -> str:
    return f"{_device_name(device)} | {device} | torch {torch.__version__} | {threads} threads"


def measure_copy_bandwidth(device: str, threads: int) -> float:
    """Bytes per second (read + write) of ``dst.copy_(src)`` on ``COPY_BYTES``, the median of several blocks."""
    src = torch.empty(COPY_BYTES // 4, dtype=torch.float32, device=device).uniform_()
    dst = torch.empty_like(src)
    timer = benchmark.Timer(stmt="dst.copy_(src)", globals={"dst": dst, "src": src}, num_threads=threads)
    timer.timeit(3)
    seconds = statistics.median(timer.timeit(5).median for _ in range(5))
    return 2 * COPY_BYTES / seconds


def copy_bandwidth(device: str = "cpu", threads: int = 1) -> tuple[float, str]:
    """This machine's copy bandwidth in bytes per second, and how it was obtained.

    Returns
    -------
    (float, str)
        The bandwidth, and ``"measured now"`` or ``"cached, measured YYYY-MM-DD"``.
        A missing, unreadable or unwritable cache only means measuring again.
    """
    path = os.path.join(cache_dir(), CACHE_FILE)
    key = _key(device, threads)
    try:
        with open(path, encoding="utf-8") as handle:
            cached = json.load(handle)
        entry = cached[key]
        return float(entry["bytes_per_second"]), f"cached, measured {entry['date']}"
    except (OSError, ValueError, KeyError, TypeError):
        cached = cached if isinstance(locals().get("cached"), dict) else {}
    value = measure_copy_bandwidth(device, threads)
    cached[key] = {"bytes_per_second": value, "date": datetime.date.today().isoformat()}
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(cached, handle, indent=1)
        os.replace(temporary, path)
    except OSError:
        pass
    return value, "measured now"
