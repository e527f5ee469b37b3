"""Why an implementation takes the time it does: ops and kernels launched, bytes saved for backward, peak memory.

``torch.profiler`` counts the aten ops the Python code (or autograd) dispatched
and the CUDA kernels they launched; a ``saved_tensors_hooks`` pack hook counts
the bytes kept for backward; CUDA's allocator gives the peak.  The shapes the
profiler records give an estimate of the bytes each call moves (:func:`memory_traffic`).
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


#: Ops that move no data: views, metadata, allocation without writing.
_NO_TRAFFIC = {
    "aten::view", "aten::_unsafe_view", "aten::_reshape_alias", "aten::view_as", "aten::detach", "aten::alias",
    "aten::as_strided", "aten::t", "aten::transpose", "aten::numpy_T", "aten::mT", "aten::permute", "aten::movedim",
    "aten::swapaxes", "aten::expand", "aten::expand_as", "aten::broadcast_to", "aten::unsqueeze", "aten::squeeze",
    "aten::unflatten", "aten::select", "aten::slice", "aten::narrow", "aten::diagonal", "aten::unbind", "aten::split",
    "aten::split_with_sizes", "aten::chunk", "aten::unfold", "aten::real", "aten::imag", "aten::view_as_real",
    "aten::view_as_complex", "aten::empty", "aten::empty_like", "aten::empty_strided", "aten::resize_",
    "aten::lift_fresh", "aten::size", "aten::stride", "aten::result_type",
}  # fmt: skip
#: Ops that copy only when they must (another dtype, a non-contiguous input): what they call moves the data.
_MAYBE_COPY = {
    "aten::to", "aten::type_as", "aten::contiguous", "aten::reshape", "aten::reshape_as", "aten::flatten",
    "aten::resolve_conj", "aten::resolve_neg",
}  # fmt: skip
#: Ops whose tensor argument gives only a shape: they write their output and read nothing.
_WRITE_ONLY = {"aten::ones_like", "aten::zeros_like", "aten::full_like", "aten::fill_", "aten::zero_", "aten::rand_like", "aten::randn_like"}
#: Reductions read their input and write next to nothing.
_READ_ONLY = {
    "aten::sum", "aten::mean", "aten::nansum", "aten::prod", "aten::amax", "aten::amin", "aten::aminmax", "aten::argmax",
    "aten::argmin", "aten::norm", "aten::linalg_vector_norm", "aten::var", "aten::std", "aten::var_mean",
    "aten::std_mean", "aten::logsumexp", "aten::all", "aten::any", "aten::count_nonzero", "aten::dot", "aten::vdot",
}  # fmt: skip
_ELEMENT_BYTES = {
    "float": 4, "double": 8, "c10::Half": 2, "c10::BFloat16": 2, "long int": 8, "int": 4, "short int": 2, "bool": 1,
    "signed char": 1, "unsigned char": 1, "c10::complex<float>": 8, "c10::complex<double>": 16,
    "c10::complex<c10::Half>": 4,
}  # fmt: skip


def _tensor_bytes(event) -> list[int]:
    """Bytes of each tensor argument of ``event`` with at least one dimension (0-d scalars move nothing).

    Tensor lists (``cat``, ``stack``) are recorded without shapes, so they count nothing.
    """
    dtypes = list(getattr(event, "input_dtypes", None) or [])
    sizes = []
    for i, shape in enumerate(event.input_shapes or []):
        if not isinstance(shape, (list, tuple)) or not shape or not all(isinstance(n, int) for n in shape):
            continue
        count = 1
        for n in shape:
            count *= n
        dtype = dtypes[i] if i < len(dtypes) else ""
        sizes.append(count * (1 if dtype.startswith("c10::Float8") else _ELEMENT_BYTES.get(dtype, 4)))
    return sizes


def _op_traffic(event) -> int:
    """Estimated bytes one aten op reads and writes (elementwise model)."""
    name = event.name
    if name in _NO_TRAFFIC:
        return 0
    if name in _MAYBE_COPY:  # a no-op calls nothing that moves data; a copy calls clone or _to_copy
        return sum(_op_traffic(child) for child in event.cpu_children if child.name.startswith("aten::"))
    sizes = _tensor_bytes(event)
    if not sizes:
        return 0
    if name in _WRITE_ONLY:
        return max(sizes)
    if name == "aten::copy_":  # writes self without reading it
        return sum(sizes)
    if name in _READ_ONLY:
        return sum(sizes)
    return sum(sizes) + max(sizes)


def memory_traffic(events, skip: frozenset[str] = frozenset()) -> int:
    """Estimated bytes read and written by the first-level aten ops among ``events`` (needs ``record_shapes``).

    An estimate from an elementwise model, not a measurement: each op reads
    its tensor arguments and writes one output as large as its largest
    argument, in that argument's dtype.  0-d arguments (Python scalars) move no
    bytes; views, allocations and ``to``/``contiguous``/``reshape`` that copy
    nothing move none; ``*_like`` and fills only write; ``copy_`` reads its
    source and writes its destination; reductions only read.  Matrix products
    and tensor-list ops (``cat``, ``stack``) are outside the model: the first
    are counted as elementwise, the second as nothing.
    """
    total = 0
    for event in events:
        if not event.name.startswith("aten::") or event.name in skip:
            continue
        parent = event.cpu_parent
        while parent is not None and not parent.name.startswith("aten::"):
            parent = parent.cpu_parent
        if parent is None:
            total += _op_traffic(event)
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
    """Ops and kernels launched by forward and backward, bytes saved for backward, and CUDA peak memory.

    ``bytes_per_element`` is :func:`memory_traffic` of one forward and backward
    (the seed gradient's ``ones_like`` left out) over ``size``, the input's
    element count: an estimate, for the cost model's bandwidth figure.
    """
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
