"""This machine's memory bandwidth, as a large ``copy_`` achieves it: measured once, then cached.

The cost model (:mod:`gradlab.model.cost_model`) states an implementation's
per-element cost as a fraction of what memory can deliver; this is that
ceiling.  A copy reads and writes each byte once, so the bandwidth counts
both.  The figure is cached per machine (CPU or GPU name, device, torch
version, threads) in ``$GRADLAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/gradlab``
(``~/.cache/gradlab``).
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import statistics

import torch
import torch.utils.benchmark as benchmark

#: Bytes of the tensor copied on CPU: far beyond any CPU cache.
COPY_BYTES = 64 * 1024 * 1024
#: On a GPU: well beyond L2 (50 MB on an H100), as ``cuda_timing.FLUSH_BYTES``.
CUDA_COPY_BYTES = 256 * 1024 * 1024
CACHE_FILE = "copy_bandwidth.json"


def cache_dir() -> str:
    """Where measured figures are cached."""
    if os.environ.get("GRADLAB_CACHE_DIR"):
        return os.environ["GRADLAB_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "gradlab")


def device_name(device: str) -> str:
    """The GPU's name for a CUDA device, else the CPU's model name (from /proc/cpuinfo where there is one)."""
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
    return f"{device_name(device)} | {device} | torch {torch.__version__} | {threads} threads"


def _cuda_seconds(dst: torch.Tensor, src: torch.Tensor, number: int) -> float:
    """Seconds per copy of a block of ``number`` copies between two CUDA events."""
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(number):
        dst.copy_(src)
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / 1e3 / number


def measure_copy_bandwidth(device: str, threads: int) -> float:
    """Bytes per second (read + write) of ``dst.copy_(src)``: the median of several timed blocks."""
    nbytes = CUDA_COPY_BYTES if device.startswith("cuda") else COPY_BYTES
    src = torch.empty(nbytes // 4, dtype=torch.float32, device=device).uniform_()
    dst = torch.empty_like(src)
    if device.startswith("cuda"):
        with torch.cuda.device(torch.device(device)):
            _cuda_seconds(dst, src, 3)  # warm-up
            seconds = statistics.median(_cuda_seconds(dst, src, 10) for _ in range(5))
    else:
        timer = benchmark.Timer(stmt="dst.copy_(src)", globals={"dst": dst, "src": src}, num_threads=threads)
        timer.timeit(3)
        seconds = statistics.median(timer.timeit(5).median for _ in range(5))
    return 2 * nbytes / seconds


def _read_cache(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            cached = json.load(handle)
    except (OSError, ValueError):
        return {}
    return cached if isinstance(cached, dict) else {}


def _write_cache(path: str, cached: dict) -> None:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(cached, handle, indent=1)
        os.replace(temporary, path)  # whole or not at all, should two processes write at once
    except OSError:
        pass


def copy_bandwidth(device: str = "cpu", threads: int | None = None) -> tuple[float, str]:
    """This machine's copy bandwidth in bytes per second, and how it was obtained.

    Parameters
    ----------
    device : str
        ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    threads : int, optional
        CPU threads for the copy (default: ``torch.get_num_threads()``); part
        of the cache key, as a benchmark's thread count.

    Returns
    -------
    (float, str)
        The bandwidth, and ``"measured now"`` or ``"cached, measured YYYY-MM-DD"``.
        A missing, corrupt or unwritable cache only means measuring again.
    """
    threads = threads or torch.get_num_threads()
    path = os.path.join(cache_dir(), CACHE_FILE)
    key = _key(device, threads)
    cached = _read_cache(path)
    entry = cached.get(key)
    try:
        value = float(entry["bytes_per_second"])
        if math.isfinite(value) and value > 0:
            return value, f"cached, measured {entry['date']}"
    except (KeyError, TypeError, ValueError):
        pass
    value = measure_copy_bandwidth(device, threads)
    cached[key] = {"bytes_per_second": value, "date": datetime.date.today().isoformat()}
    _write_cache(path, cached)
    return value, "measured now"
