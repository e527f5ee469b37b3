"""``torch.compile`` on a Function: compiled forward and backward against eager, graph breaks, and what ran.

``aot_eager`` is the default backend: dynamo traces the Function (forward
and backward, into one ``autograd_function_apply`` node) and AOTAutograd
builds the joint graph, as inductor would, without inductor's C++ compile
(on a 2-core CPU the whole check took 5 to 25 s a Function with inductor,
0.3 to 2.5 s with aot_eager, the first Function of a process the slowest).

Whether the hand-written backward and jvp ran is found with a *probe*: a
subclass whose backward (jvp) returns the original's result plus one.  It
changes no control flow and has no side effect, so dynamo traces it as it
traces the Function (a Python counter would itself break the graph).  The
compiled probe's gradient (tangent) minus the eager Function's is one where
the hand-written code ran, and zero where the compiled graph differentiated
the forward instead.  In torch 2.13 compiled forward-mode AD does the latter:
the jvp staticmethod is not used.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable

import torch
import torch.autograd.forward_ad as fwAD

from gradlab.core.transform_compare import compare, floating_outputs, index_text
from gradlab.model.problems import problem_from_exception
from gradlab.model.transforms import TransformResult

#: Reasons of graph breaks kept in ``detail["break_reasons"]``.
MAX_REASONS = 5


def _plus_one(result):
    """What a backward or jvp returned, each tensor plus one."""
    if isinstance(result, torch.Tensor):
        return result + 1
    return tuple(r + 1 if isinstance(r, torch.Tensor) else r for r in result)


def probe_of(cls: type) -> type:
    """A subclass of ``cls`` whose backward and jvp (where it has one) return the original's plus one."""
    # Plain functions, taken now: dynamo rejects cls.backward(ctx, ...) inside a legacy Function's backward.
    original_backward, original_jvp = cls.backward, cls.jvp

    def backward(ctx, *grads):
        return _plus_one(original_backward(ctx, *grads))

    def jvp(ctx, *tangents):
        return _plus_one(original_jvp(ctx, *tangents))

    methods = {"backward": staticmethod(backward)}
    if cls.jvp is not torch.autograd.Function.jvp:  # a jvp where there was none would change what PyTorch does
        methods["jvp"] = staticmethod(jvp)
    return type(cls)(f"{cls.__name__}Probe", (cls,), methods)


def _calling(cls) -> Callable:
    """A fresh function of ``cls.apply`` (or of a custom op, called as it is) for dynamo to trace."""
    apply = getattr(cls, "apply", cls)

    def call(*args):
        return floating_outputs(apply(*args))

    return call


def _gradients(fn: Callable, inputs: tuple, diff: list[int], grad_outputs: tuple) -> tuple[tuple, list[torch.Tensor]]:
    """Outputs of ``fn`` and the vector-Jacobian product with ``grad_outputs`` (zeros for an unused input)."""
    args = tuple(a.detach().requires_grad_(True) if i in diff else a for i, a in enumerate(inputs))
    outputs = fn(*args)
    wanted = [args[i] for i in diff]
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    grads = (
        torch.autograd.grad([o for o, _ in pairs], wanted, [g for _, g in pairs], allow_unused=True) if pairs and wanted else ()
    )
    return tuple(o.detach() for o in outputs), [torch.zeros_like(w) if g is None else g for w, g in zip(wanted, grads)]


def _tangents(fn: Callable, inputs: tuple, diff: list[int], tangents: tuple) -> list[torch.Tensor]:
    with fwAD.dual_level():
        args = list(inputs)
        for i, t in zip(diff, tangents):
            args[i] = fwAD.make_dual(inputs[i].detach(), t)
        outputs = fn(*args)
        found = [fwAD.unpack_dual(o).tangent for o in outputs]
    return [torch.zeros_like(o) if t is None else t for o, t in zip(outputs, found)]


def _ran(compiled: list[torch.Tensor], eager: list[torch.Tensor]) -> bool | None:
    """True when the compiled probe's values are the eager Function's plus one: the hand-written code ran."""
    if not compiled:
        return None
    differences = [c - e for c, e in zip(compiled, eager)]
    return all(torch.allclose(d, torch.ones_like(d), rtol=0, atol=1e-6) for d in differences)


def _explain(fn: Callable, inputs: tuple, filename: str) -> dict:
    """Graphs and graph breaks of ``fn``, each break's reason with the line of ``filename`` it happened at."""
    torch._dynamo.reset()
    explained = torch._dynamo.explain(fn)(*inputs)
    reasons = []
    for broken in explained.break_reasons:
        text = str(broken.reason).strip().splitlines()[0] if str(broken.reason).strip() else "unknown reason"
        lines = [
            frame.lineno for frame in getattr(broken, "user_stack", None) or [] if os.path.abspath(frame.filename) == filename
        ]
        reasons.append(f"{text} (line {lines[-1]})" if lines else text)
    return {
        "graphs": explained.graph_count,
        "graph_breaks": explained.graph_break_count,
        "break_reasons": list(dict.fromkeys(reasons))[:MAX_REASONS],
    }


@contextlib.contextmanager
def _dynamo_logs_quiet():
    """Dynamo logs each graph break as a warning on stderr; the report lists them instead."""
    logger = logging.getLogger("torch._dynamo")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def check_compile(
    spec, inputs: tuple, *, backend: str = "aot_eager", rtol: float = 1e-7, atol: float = 1e-9, seed: int = 0
) -> TransformResult:
    """Compile ``spec.cls.apply`` and compare its forward and backward with eager's.

    ``detail`` holds ``backend``, ``graphs``, ``graph_breaks``,
    ``break_reasons`` (from :func:`torch._dynamo.explain`),
    ``custom_backward_used`` and ``custom_jvp_used`` (None when there is
    nothing to tell it by: no differentiable input, or no jvp staticmethod),
    ``max_abs_diff`` and ``where``.  Dynamo is reset before and after, so
    nothing compiled for one Function is reused for the next.
    """
    import torch._dynamo  # 1.5 s to import: only when compiling

    diff = [i for i, a in enumerate(inputs) if isinstance(a, torch.Tensor) and a.requires_grad]
    inputs = tuple(a.detach().to(torch.float64) if isinstance(a, torch.Tensor) and a.is_floating_point() else a for a in inputs)
    detail: dict = {"backend": backend}
    try:
        with _dynamo_logs_quiet():
            eager_out, eager_grads, compiled_out, compiled_grads = _run(spec, inputs, diff, backend, seed, detail)
    except Exception as exc:  # noqa: BLE001 - user code under dynamo may raise anything
        return TransformResult(
            "error", problem_from_exception(exc, spec.filename, "forward", f"torch.compile of {spec.name}").message, detail
        )
    finally:
        torch._dynamo.reset()

    names = [spec.arg_names[i] if i < len(spec.arg_names) else f"#{i}" for i in diff]
    labels = [lambda ix, k=k: f"output {k}{index_text(ix)}" for k in range(len(eager_out))]
    labels += [lambda ix, n=n: f"gradient of {n}{index_text(ix)}" for n in names]
    comparison = compare(list(compiled_out) + compiled_grads, list(eager_out) + eager_grads, labels, rtol, atol)
    detail.update(max_abs_diff=comparison.max_abs_diff, where=comparison.where)
    what = f"compiled ({backend}) forward and backward"
    if not comparison.close:
        return TransformResult("fail", f"{what} disagree with eager: {comparison.describe()}{_notes(detail)}", detail)
    return TransformResult("pass", f"{what} match eager (max |difference| {comparison.max_abs_diff:.1e}){_notes(detail)}", detail)


def _run(spec, inputs: tuple, diff: list[int], backend: str, seed: int, detail: dict) -> tuple:
    """Eager and compiled outputs and gradients; graph breaks and which hand-written code ran go into ``detail``."""
    detail.update(_explain(_calling(spec.apply), inputs, spec.filename))
    torch._dynamo.reset()
    eager_fn = _calling(spec.apply)
    with torch.no_grad():
        shapes = [o.shape for o in eager_fn(*inputs)]
    generator = torch.Generator().manual_seed(seed)
    grad_outputs = tuple(torch.randn(shape, dtype=torch.float64, generator=generator) for shape in shapes)
    eager_out, eager_grads = _gradients(eager_fn, inputs, diff, grad_outputs)
    compiled_out, compiled_grads = _gradients(torch.compile(eager_fn, backend=backend), inputs, diff, grad_outputs)
    if spec.cls is None:  # a custom op: dynamo calls its registered autograd, which cannot be probed from here
        detail.update(custom_backward_used=None, custom_jvp_used=None)
        return eager_out, eager_grads, compiled_out, compiled_grads
    try:
        probe = _calling(probe_of(spec.cls))
        _, probe_grads = _gradients(torch.compile(probe, backend=backend), inputs, diff, grad_outputs)
        detail["custom_backward_used"] = _ran(probe_grads, eager_grads)
        detail["custom_jvp_used"] = _jvp_used(spec.cls, probe, inputs, diff, backend, seed)
    except Exception as exc:  # noqa: BLE001 - the probe's trouble leaves the verdict alone
        detail.update(custom_backward_used=None, custom_jvp_used=None, probe_error=str(exc).strip().split("\n")[0])
    return eager_out, eager_grads, compiled_out, compiled_grads


def _jvp_used(cls: type, probe: Callable, inputs: tuple, diff: list[int], backend: str, seed: int) -> bool | None:
    """Whether compiled forward-mode AD ran the hand-written jvp; None without one, or where eager forward AD fails."""
    if cls.jvp is torch.autograd.Function.jvp or not diff:
        return None
    generator = torch.Generator().manual_seed(seed + 1)
    tangents = tuple(torch.randn(inputs[i].shape, dtype=torch.float64, generator=generator) for i in diff)
    try:
        eager = _tangents(_calling(cls), inputs, diff, tangents)
    except Exception:  # noqa: BLE001 - forward AD refused eagerly: nothing to compare
        return None
    return _ran(_tangents(torch.compile(probe, backend=backend), inputs, diff, tangents), eager)


def _notes(detail: dict) -> str:
    notes = []
    breaks = detail.get("graph_breaks", 0)
    if breaks:
        reasons = detail.get("break_reasons") or []
        notes.append(f"{breaks} graph break{'s' if breaks > 1 else ''}" + (f" ({reasons[0]})" if reasons else ""))
    else:
        notes.append("no graph breaks")
    if detail.get("custom_backward_used") is False:
        notes.append("the compiled backward did not use the hand-written backward")
    if detail.get("custom_jvp_used") is False:
        notes.append("compiled forward-mode AD ignores the hand-written jvp (it differentiates the traced forward)")
    return "; " + "; ".join(notes)
