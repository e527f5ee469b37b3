"""GPU timing as ``triton.testing.do_bench`` does it: CUDA events around each call, the L2 cache flushed between calls.

A host-side timer around an asynchronous launch measures the launch, and a
call that finds its inputs still in L2 from the previous call is faster than
any real use of it.  Each call here is bracketed by a pair of CUDA events on
the current stream, after a write to a buffer larger than L2 has evicted the
cache; the flush itself lies outside the events.

:func:`graph_replay` captures a statement in a CUDA graph, whose replay
launches all its kernels at once: timing it against the plain statement shows
what kernel-launch overhead costs (``do_bench_cudagraph``).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

#: Bytes written between calls to evict L2 (H100: 50 MB of L2; triton uses 256 MB).
FLUSH_BYTES = 256 * 1024 * 1024


def cuda_block_timer(device: str, flush_l2: bool = True) -> Callable[[Callable[[], object], int], float] | None:
    """A ``block_timer(statement, number) -> seconds per call`` for ``device``; None on CPU (Timer is used)."""
    if not device.startswith("cuda"):
        return None
    flush = torch.empty(FLUSH_BYTES // 4, dtype=torch.int32, device=device) if flush_l2 else None

    def block(statement: Callable[[], object], number: int) -> float:
        starts = [torch.cuda.Event(enable_timing=True) for _ in range(number)]
        ends = [torch.cuda.Event(enable_timing=True) for _ in range(number)]
        torch.cuda.synchronize(device)
        for start, end in zip(starts, ends):
            if flush is not None:
                flush.zero_()
            start.record()
            statement()
            end.record()
        torch.cuda.synchronize(device)
        return sum(start.elapsed_time(end) for start, end in zip(starts, ends)) / number / 1e3  # ms → s

    return block


def graph_replay(statement: Callable[[], object], device: str) -> Callable[[], object]:
    """``statement`` captured once in a CUDA graph; the returned callable replays it.

    Warmed up on a side stream first, as ``torch.cuda.graphs`` requires.
    Raises ``RuntimeError`` when the statement cannot be captured (a sync, a
    host read, a dynamic shape).
    """
    stream = torch.cuda.Stream(device=device)
    stream.wait_stream(torch.cuda.current_stream(device))
    with torch.cuda.stream(stream):
        for _ in range(3):
            statement()
    torch.cuda.current_stream(device).wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        statement()
    return graph.replay
