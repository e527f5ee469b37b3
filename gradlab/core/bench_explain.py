"""Why an implementation takes the time it does: ops and kernels launched, bytes saved for backward, peak memory.

``torch.profiler`` counts the aten ops the Python code (or autograd) dispatched
and the CUDA kernels they launched; a ``saved_tensors_hooks`` pack hook counts
the bytes kept for backward; CUDA's allocator gives the peak.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections import Counter
from collections.abc import Callable

import torch

from gradlab.core.invoke import first_tensor
from gradlab.model.results import BenchmarkWhy


def _first_level_ops(events) -> list[str]:
    """aten ops not called by another aten op: the operations the Python code (or autograd) dispatched."""
    names = []
    for event in events:
        if not event.name.startswith("aten::"):
            continue
        parent = event.cpu_parent
        while parent is not None and not parent.name.startswith("aten::"):
            parent = parent.cpu_parent
        if parent is None:
            names.append(event.name)
    return names


#: Ops that move no data (views, metadata, allocation without writing).
_NO_TRAFFIC = {
    "aten::view", "aten::_unsafe_view", "aten::detach", "aten::alias", "aten::as_strided", "aten::t", "aten::transpose",
    "aten::expand", "aten::reshape", "aten::unsqueeze", "aten::squeeze", "aten::permute", "aten::select", "aten::slice",
    "aten::empty", "aten::empty_like", "aten::empty_strided", "aten::resize_", "aten::lift_fresh",
}  # fmt: skip
#: Ops whose tensor argument gives only a shape: they write their output and read nothing.
_WRITE_ONLY = {"aten::ones_like", "aten::zeros_like", "aten::full_like", "aten::fill_", "aten::zero_", "aten::rand_like", "aten::randn_like"}
_ELEMENT_BYTES = {"float": 4, "double": 8, "c10::Half": 2, "c10::BFloat16": 2, "long int": 8, "int": 4, "bool": 1, "signed char": 1, "unsigned char": 1, "short int": 2}


def _numel(shape) -> int:
    count = 1
    for n in shape:
        count *= n
    return count


def memory_traffic(events, skip: frozenset[str] = frozenset()) -> int:
    """Estimated bytes read and written by the first-level aten ops among ``events`` (needs ``record_shapes``).

    An elementwise model: each op reads its tensor arguments and writes one
    output as large as its largest argument.  0-d arguments (scalars) move no
    bytes; views and allocations move none; ``*_like`` and fills only write.
    """
    total = 0
    for event in events:
        if not event.name.startswith("aten::") or event.name in _NO_TRAFFIC or event.name in skip:
            continue
        parent = event.cpu_parent
        while parent is not None and not parent.name.startswith("aten::"):
            parent = parent.cpu_parent
        if parent is not None:
            continue
        shapes = list(event.input_shapes or [])
        dtypes = list(getattr(event, "input_dtypes", None) or [])
        sizes = [
            _numel(shape) * _ELEMENT_BYTES.get(dtypes[i] if i < len(dtypes) else "float", 4)
            for i, shape in enumerate(shapes)
            if isinstance(shape, (list, tuple)) and len(shape) > 0
        ]
        if not sizes:
            continue
        read = 0 if event.name in _WRITE_ONLY else sum(sizes)
        total += read + max(sizes)
    return total


def _kernels(events) -> int:
    return sum(1 for e in events if e.device_type == torch.autograd.DeviceType.CUDA)


@contextlib.contextmanager
def _native_stderr_silenced():
    """torch.profiler's tracer logs every start and stop to the process's stderr; keep that off the user's terminal."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def explain(name: str, fn: Callable, inputs: tuple, size: int, device: str) -> BenchmarkWhy:
    """Ops and kernels launched by forward and backward, bytes saved for backward, and CUDA peak memory."""
    activities = [torch.profiler.ProfilerActivity.CPU]
    if device.startswith("cuda"):
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    diff = [a for a in inputs if isinstance(a, torch.Tensor) and a.requires_grad]
    saved: dict[int, int] = {}

    def pack(tensor):
        saved[tensor.untyped_storage().data_ptr()] = tensor.untyped_storage().nbytes()
        return tensor

    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        baseline = torch.cuda.memory_allocated()
    with _native_stderr_silenced():
        with torch.profiler.profile(activities=activities, record_shapes=True) as forward_profile:
            with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
                out = first_tensor(fn(*inputs))
        with torch.profiler.profile(activities=activities, record_shapes=True) as backward_profile:
            if out.requires_grad:
                torch.autograd.grad(out, diff, torch.ones_like(out), allow_unused=True)
    peak = None
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        peak = int(torch.cuda.max_memory_allocated() - baseline)
    forward_ops = _first_level_ops(forward_profile.events())
    backward_ops = [n for n in _first_level_ops(backward_profile.events()) if n != "aten::ones_like"]
    top = [f"{op} \u00d7{n}" for op, n in Counter(forward_ops + backward_ops).most_common(6)]
    return BenchmarkWhy(
        implementation=name,
        size=size,
        forward_ops=len(forward_ops),
        backward_ops=len(backward_ops),
        forward_kernels=_kernels(forward_profile.events()),
        backward_kernels=_kernels(backward_profile.events()),
        saved_bytes=sum(saved.values()),
        peak_bytes=peak,
        top_ops=top,
        bytes_per_element=(memory_traffic(forward_profile.events()) + memory_traffic(backward_profile.events(), frozenset({"aten::ones_like"}))) / size
        if size
        else None,
    )
