"""The transform matrix: a Function under vmap, jvp, jacrev, jacfwd, hessian and torch.compile.

Each ``torch.func`` transform of ``Function.apply`` is compared, in float64
with :func:`torch.allclose`, with a reference:

- ``vmap``: the forward called sample by sample and stacked (the definition
  of vmap), on a batch of three samples: the inputs, the inputs with each
  tensor's elements reversed, and rolled by one (permutations stay in the
  domain).
- ``jvp``, ``jacrev``, ``jacfwd``: the same transform of *autograd of
  forward* (the Function's forward under autograd, its own backward and jvp
  unused).  Where autograd cannot follow the forward (numpy, ``.item()``),
  central finite differences of the Function's forward instead, at a looser
  tolerance; the message says which.
- ``hessian``: needs a scalar, so it is taken of the sum of every
  floating-point output; against autograd of forward only (no finite
  differences of finite differences): "error" when that cannot run.
- ``compile``: see :mod:`gradlab.core.compile_check`.

Only arguments that require grad are differentiated (``constants`` are
not); only floating-point outputs are compared.  PyTorch refusing a
transform for the Function is "unsupported", with how to enable it
(:mod:`gradlab.core.transform_refusals`).  A Function without setup_context
whose jvp torch.func cannot reach is still checked through
``torch.autograd.forward_ad``: a wrong jvp there is "fail", not
"unsupported".
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.autograd.forward_ad as fwAD

from gradlab.core.compile_check import check_compile
from gradlab.core.invoke import autograd_of_forward, make_inputs
from gradlab.core.loading import FunctionSpec
from gradlab.core.transform_compare import Label, compare, floating_outputs, index_text
from gradlab.core.transform_refusals import has_pieces, refusal_advice
from gradlab.model.problems import UserCodeError, problem_from_exception
from gradlab.model.progress import Progress, Work, finish
from gradlab.model.transforms import TRANSFORMS, TransformResult

#: Central-difference step, and the tolerances (rtol, atol) against finite differences.
FD_STEP = 1e-6
FD_TOLERANCE = (1e-5, 1e-6)

_FAIL_HINT = {
    "vmap": "the vmap rule disagrees with calling forward one sample at a time",
    "jvp": "the hand-written jvp is wrong",
    "jacrev": "jacrev goes through the hand-written backward",
    "jacfwd": "jacfwd goes through the hand-written jvp",
    "hessian": "hessian is jacfwd(jacrev(f)): it goes through the hand-written backward and jvp",
}


@dataclass
class _Setup:
    """What every transform of one Function runs on."""

    spec: FunctionSpec
    inputs: tuple  # float64, detached
    diff: list[int]  # positions of the arguments differentiated
    names: list[str]  # their names
    out_shapes: list[tuple[int, ...]]
    tangents: tuple

    @property
    def primals(self) -> tuple:
        return tuple(self.inputs[i] for i in self.diff)

    def on_primals(self, fn: Callable) -> Callable:
        """``fn`` of the differentiated arguments only, returning its floating-point outputs."""

        def call(*primals):
            args = list(self.inputs)
            for index, value in zip(self.diff, primals):
                args[index] = value
            return floating_outputs(fn(*args))

        return call

    def out_name(self, index: int) -> str:
        return "output" if len(self.out_shapes) == 1 else f"output {index}"


def _setup(spec: FunctionSpec, inputs: tuple, seed: int) -> _Setup:
    diff = [i for i, a in enumerate(inputs) if isinstance(a, torch.Tensor) and a.requires_grad]
    inputs = tuple(a.detach().to(torch.float64) if isinstance(a, torch.Tensor) and a.is_floating_point() else a for a in inputs)
    with torch.no_grad():
        out_shapes = [tuple(o.shape) for o in floating_outputs(spec.apply(*inputs))]
    names = [spec.arg_names[i] if i < len(spec.arg_names) else f"#{i}" for i in diff]
    generator = torch.Generator().manual_seed(seed)
    tangents = tuple(torch.randn(inputs[i].shape, dtype=torch.float64, generator=generator) for i in diff)
    return _Setup(spec, inputs, diff, names, out_shapes, tangents)


# ---- each transform, as a function of the implementation: (tensors, labels) ----


def _vmap(s: _Setup, fn: Callable) -> tuple[list, list[Label]]:
    samples = _samples(s)
    batched = [torch.stack([sample[i] for sample in samples]) if i in s.diff else a for i, a in enumerate(s.inputs)]
    in_dims = tuple(0 if i in s.diff else None for i in range(len(s.inputs)))
    outputs = torch.func.vmap(lambda *args: floating_outputs(fn(*args)), in_dims=in_dims)(*batched)
    return list(outputs), _vmap_labels(s)


def _vmap_loop(s: _Setup) -> tuple[list, list[Label]]:
    with torch.no_grad():
        per_sample = [floating_outputs(s.spec.apply(*sample)) for sample in _samples(s)]
    return [torch.stack(outputs) for outputs in zip(*per_sample)], _vmap_labels(s)


def _samples(s: _Setup) -> list[tuple]:
    def varied(permute: Callable) -> tuple:
        return tuple(permute(a.flatten()).reshape(a.shape) if i in s.diff else a for i, a in enumerate(s.inputs))

    return [s.inputs, varied(lambda t: t.flip(0)), varied(lambda t: t.roll(1))]


def _vmap_labels(s: _Setup) -> list[Label]:
    return [lambda ix, k=k: f"sample {ix[0] if ix else 0}, {s.out_name(k)}{index_text(ix[1:])}" for k in range(len(s.out_shapes))]


def _jvp(s: _Setup, fn: Callable) -> tuple[list, list[Label]]:
    _, tangents = torch.func.jvp(s.on_primals(fn), s.primals, s.tangents)
    return list(tangents), _tangent_labels(s)


def _tangent_labels(s: _Setup) -> list[Label]:
    return [lambda ix, k=k: f"tangent of {s.out_name(k)}{index_text(ix)}" for k in range(len(s.out_shapes))]


def _jacobian(kind: str) -> Callable:
    def run(s: _Setup, fn: Callable) -> tuple[list, list[Label]]:
        jacobian = getattr(torch.func, kind)(s.on_primals(fn), argnums=tuple(range(len(s.diff))))(*s.primals)
        return [block for row in jacobian for block in row], _jacobian_labels(s)

    return run


def _jacobian_labels(s: _Setup) -> list[Label]:
    def label(ix, k, j):
        split = len(s.out_shapes[k])
        return f"d {s.out_name(k)}{index_text(ix[:split])} / d {s.names[j]}{index_text(ix[split:])}"

    return [lambda ix, k=k, j=j: label(ix, k, j) for k in range(len(s.out_shapes)) for j in range(len(s.diff))]


def _hessian(s: _Setup, fn: Callable) -> tuple[list, list[Label]]:
    outputs = s.on_primals(fn)
    hessian = torch.func.hessian(lambda *p: sum(o.sum() for o in outputs(*p)), argnums=tuple(range(len(s.diff))))(*s.primals)

    def label(ix, a, b):
        split = s.inputs[s.diff[a]].dim()
        return f"d²(sum of outputs) / d {s.names[a]}{index_text(ix[:split])} d {s.names[b]}{index_text(ix[split:])}"

    n = len(s.diff)
    return [block for row in hessian for block in row], [lambda ix, a=a, b=b: label(ix, a, b) for a in range(n) for b in range(n)]


_RUNNERS = {"vmap": _vmap, "jvp": _jvp, "jacrev": _jacobian("jacrev"), "jacfwd": _jacobian("jacfwd"), "hessian": _hessian}


# ---- finite-difference references, for a forward autograd cannot follow ----


def _fd_jvp(s: _Setup) -> tuple[list, list[Label]]:
    return list(_central(s, s.tangents)), _tangent_labels(s)


def _fd_jacobian(s: _Setup) -> tuple[list, list[Label]]:
    blocks: list[list[torch.Tensor]] = [[] for _ in s.out_shapes]
    for j, primal in enumerate(s.primals):
        columns = []
        for k in range(primal.numel()):
            direction = [torch.zeros_like(p) for p in s.primals]
            direction[j].view(-1)[k] = 1.0
            columns.append(_central(s, direction))
        for o, shape in enumerate(s.out_shapes):
            blocks[o].append(torch.stack([c[o] for c in columns], dim=-1).reshape(shape + tuple(primal.shape)))
    return [block for row in blocks for block in row], _jacobian_labels(s)


def _central(s: _Setup, direction) -> tuple[torch.Tensor, ...]:
    f = s.on_primals(s.spec.apply)
    with torch.no_grad():
        plus = f(*(p + FD_STEP * d for p, d in zip(s.primals, direction)))
        minus = f(*(p - FD_STEP * d for p, d in zip(s.primals, direction)))
    return tuple((a - b) / (2 * FD_STEP) for a, b in zip(plus, minus))


_FD_REFERENCES = {"jvp": _fd_jvp, "jacrev": _fd_jacobian, "jacfwd": _fd_jacobian}


def _forward_ad(s: _Setup, fn: Callable) -> tuple[list, list[Label]]:
    """The jvp through ``torch.autograd.forward_ad``'s dual tensors, which reach a Function without setup_context."""
    with fwAD.dual_level():
        outputs = s.on_primals(fn)(*(fwAD.make_dual(p, t) for p, t in zip(s.primals, s.tangents)))
        tangents = [fwAD.unpack_dual(o).tangent for o in outputs]
    return [torch.zeros_like(o) if t is None else t for o, t in zip(outputs, tangents)], _tangent_labels(s)


# ---- verdicts ----


def _first_line(exc: BaseException) -> str:
    if isinstance(exc, UserCodeError):
        return exc.problem.message
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def _without_link(text: str) -> str:
    """PyTorch's refusal without its closing "For more details, please see <url>" (the url goes to ``detail["docs"]``)."""
    return re.sub(r"\s*For more details, please see \S+$", "", text)


def _error(name: str, s: _Setup, exc: BaseException) -> TransformResult:
    problem = problem_from_exception(exc, s.spec.filename, "forward", f"{name} of {s.spec.name}")
    detail = {"location": str(problem.location)} if problem.location else {}
    return TransformResult("error", problem.message, detail)


def _against_reference(
    name: str, s: _Setup, actual: tuple[list, list[Label]], rtol: float, atol: float, via: str = ""
) -> TransformResult:
    """Compare ``actual`` with the reference of ``name``: autograd of forward, or finite differences when that cannot run."""
    reference = "the forward called per sample" if name == "vmap" else "autograd of forward"
    try:
        expected, _ = _vmap_loop(s) if name == "vmap" else _RUNNERS[name](s, autograd_of_forward(s.spec))
    except Exception as exc:  # noqa: BLE001 - autograd may not follow user code
        if name not in _FD_REFERENCES:
            return TransformResult(
                "error", f"nothing to compare with: {reference} raised {_first_line(exc)}", {"reference": None}
            )
        expected, _ = _FD_REFERENCES[name](s)
        reference = "finite differences"
        rtol, atol = FD_TOLERANCE
    comparison = compare(actual[0], expected, actual[1], rtol, atol)
    detail = {
        "reference": reference,
        "rtol": rtol,
        "atol": atol,
        "max_abs_diff": comparison.max_abs_diff,
        "where": comparison.where,
    }
    if comparison.close:
        return TransformResult("pass", f"{via}matches {reference} (max |difference| {comparison.max_abs_diff:.1e})", detail)
    hint = _FAIL_HINT[name]
    if s.spec.op is not None and name in ("jvp", "jacfwd"):
        hint = "forward mode gives this custom op zero tangents without an error: it has no forward-mode rule, so every jvp through it is silently wrong"
    return TransformResult("fail", f"{via}disagrees with {reference}: {comparison.describe()}; {hint}", detail)


def _custom_op_refusal(message: str) -> str | None:
    """How to get a transform PyTorch refuses for a custom op's registered autograd, or None when it is no refusal."""
    if "functorch transforms" not in message:
        return None
    return (
        "torch.func cannot transform through a custom op's register_autograd backward in this PyTorch;"
        " write it as an autograd.Function with setup_context (and a jvp and vmap rule) where you need jacrev or hessian"
    )


def _verdict(name: str, s: _Setup, rtol: float, atol: float) -> TransformResult:
    if name != "vmap" and not s.diff:
        return TransformResult("error", "no argument requires grad: nothing to differentiate")
    try:
        actual = _RUNNERS[name](s, s.spec.apply)
    except Exception as exc:  # noqa: BLE001 - user code under a transform may raise anything
        advice = refusal_advice(str(exc), name, s.spec.cls) if s.spec.cls is not None else _custom_op_refusal(str(exc))
        if advice is None:
            return _error(name, s, exc)
        refusal = _first_line(exc)
        refused = TransformResult(
            "unsupported", f"to enable {name}: {advice} (PyTorch: {_without_link(refusal)})", {"refusal": refusal}
        )
        link = re.search(r"https://\S+", refusal)
        if link:
            refused.detail["docs"] = link.group(0).rstrip(".")
        if name == "jvp" and s.spec.cls is not None and has_pieces(s.spec.cls)["jvp"]:
            return _jvp_without_setup_context(s, refused, rtol, atol)
        return refused
    return _against_reference(name, s, actual, rtol, atol)


def _guarded(name: str, s: _Setup, rtol: float, atol: float) -> TransformResult:
    """:func:`_verdict`; what it did not expect (a forward raising at a perturbed point) is this transform's error only."""
    try:
        return _verdict(name, s, rtol, atol)
    except Exception as exc:  # noqa: BLE001 - one transform's trouble must not stop the others
        return _error(name, s, exc)


def _jvp_without_setup_context(s: _Setup, refused: TransformResult, rtol: float, atol: float) -> TransformResult:
    """torch.func.jvp refused, but forward-mode AD still runs the hand-written jvp: check it there."""
    try:
        checked = _against_reference(
            "jvp", s, _forward_ad(s, s.spec.apply), rtol, atol, via="through torch.autograd.forward_ad the jvp "
        )
    except Exception as exc:  # noqa: BLE001 - user code
        refused.detail["forward_ad"] = _first_line(exc)
        return refused
    if checked.status == "fail":
        checked.message = f"torch.func.jvp refuses it, and {checked.message}"
        checked.detail["refusal"] = refused.detail["refusal"]
        return checked
    refused.message += f"; {checked.message}"
    refused.detail["forward_ad"] = checked.status
    return refused


_TORCH_OWN = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


def _timed(run: Callable[[], TransformResult], filename: str) -> TransformResult:
    """``run()``, with its seconds and the first lines of what it warned (once each) in ``detail``.

    PyTorch's deprecation notices about its own internals are dropped; the
    user's file's warnings, and vmap's performance notes, are kept.
    """
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run()
    result.detail["seconds"] = round(time.perf_counter() - start, 3)
    kept = [w for w in caught if str(w.message).strip() and (w.filename == filename or not issubclass(w.category, _TORCH_OWN))]
    said = list(dict.fromkeys(str(w.message).strip().splitlines()[0] for w in kept))
    if said:
        result.detail["warnings"] = said[:5]
    return result


def transform_work(
    spec: FunctionSpec,
    inputs: tuple | None = None,
    *,
    transforms: tuple[str, ...] = TRANSFORMS,
    shape: tuple[int, ...] = (3, 4),
    seed: int = 0,
    rtol: float = 1e-7,
    atol: float = 1e-9,
    backend: str = "aot_eager",
) -> Work[dict[str, TransformResult]]:
    """Run the transform matrix on one Function, one transform a step.

    Parameters
    ----------
    spec : FunctionSpec
        The Function.
    inputs : tuple, optional
        Its arguments; floating-point tensors are cast to float64, and those
        requiring grad are differentiated.  By default
        ``make_inputs(spec, shape, torch.float64, seed=seed)``.
    transforms : tuple of str
        Which of :data:`~gradlab.model.transforms.TRANSFORMS` to run, in that order.
    shape, seed
        For the default inputs; ``seed`` also draws the jvp tangents.
    rtol, atol : float
        :func:`torch.allclose` tolerances against autograd of forward (and
        compiled against eager); finite differences use :data:`FD_TOLERANCE`.
    backend : str
        The ``torch.compile`` backend.

    Yields
    ------
    Progress
        After each transform, with ``item=(name, TransformResult)``.

    Returns
    -------
    dict of str to TransformResult
        Keyed by transform name, in the order run.  A forward that raises
        makes every transform an "error"; nothing a transform does stops the next.

    Raises
    ------
    UserCodeError
        When the ``inputs`` option raises (as :func:`make_inputs` does).
    ValueError
        For a name not in :data:`~gradlab.model.transforms.TRANSFORMS`.
    """
    unknown = [name for name in transforms if name not in TRANSFORMS]
    if unknown:
        raise ValueError(f"unknown transforms {unknown}; choose from {TRANSFORMS}")
    with torch.enable_grad():
        inputs = make_inputs(spec, shape, torch.float64, seed=seed) if inputs is None else tuple(inputs)
        try:
            setup = _setup(spec, inputs, seed)
        except Exception as exc:  # noqa: BLE001 - the forward itself fails: nothing can be transformed
            failed = problem_from_exception(exc, spec.filename, "forward", f"{spec.name}.forward").message
            setup = None
    results: dict[str, TransformResult] = {}
    for done, name in enumerate(transforms, start=1):
        with torch.enable_grad():
            if setup is None:
                results[name] = TransformResult("error", failed)
            elif name == "compile":
                results[name] = _timed(
                    lambda: check_compile(spec, inputs, backend=backend, rtol=rtol, atol=atol, seed=seed), spec.filename
                )
            else:
                results[name] = _timed(lambda name=name: _guarded(name, setup, rtol, atol), spec.filename)
        yield Progress(done, len(transforms), (name, results[name]))
    return results


def run_transforms(spec: FunctionSpec, inputs: tuple | None = None, **options) -> dict[str, TransformResult]:
    """:func:`transform_work` run to its end: every transform's verdict, keyed by name."""
    return finish(transform_work(spec, inputs, **options))
