"""``gradcheck`` and ``gradgradcheck`` on a Function, reported as plain verdicts.

The verdicts are PyTorch's own: :func:`torch.autograd.gradcheck` and
:func:`torch.autograd.gradgradcheck` decide.  gradlab adds the largest errors
(from gradcheck's own numerical Jacobian, in the block PyTorch's message
names), the numbers at the worst entry, and a hint that says the cause the
evidence shows: a lower-precision failure is rerun in float64 first.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch.autograd import Function

from gradlab.core.background import Report, work_in_thread
from gradlab.core.capture import captured_output, quietly
from gradlab.core.differentiability import double_backward_blocker
from gradlab.core.invoke import apply_function, autograd_of_forward, first_tensor, make_inputs
from gradlab.core.jacobians import (
    compute_jacobians,
    differentiable_indices,
    differentiable_outputs,
    eps_sweep,
    first_derivative_function,
    make_grad_outputs,
    worst_entry,
    worst_error,
)
from gradlab.core.kinks import move_off_kinks
from gradlab.core.loading import FunctionSpec
from gradlab.core.saved_tensors import find_saved_intermediates
from gradlab.core.taylor import taylor_test
from gradlab.model.problems import problem_from_exception
from gradlab.model.progress import Work
from gradlab.model.results import Capabilities, CheckResult, EpsSweep, FunctionChecks, Jacobians, TaylorCheck, WorstEntry

_GRADCHECK_MODULE = sys.modules["torch.autograd.gradcheck"]


def hint_for(message: str, arg_names: Sequence[str]) -> str:
    """A plain-words fix for the backward mistakes PyTorch reports tersely."""
    count = re.search(r"incorrect number of gradients \(expected (\d+), got (\d+)\)", message)
    if count:
        expected, got = int(count.group(1)), int(count.group(2))
        grads = "gradient" if got == 1 else "gradients"
        return (
            f"backward returned {got} {grads} for {expected} inputs: return one per forward argument "
            f"({', '.join(arg_names)}), None for non-tensors"
        )
    shape = re.search(r"invalid gradient at index (\d+) - got \[(.*?)\] but expected shape compatible with \[(.*?)\]", message)
    if shape:
        index = int(shape.group(1))
        name = arg_names[index] if index < len(arg_names) else f"#{index}"
        return (
            f"backward's gradient for {name} has shape [{shape.group(2)}] but {name} has shape [{shape.group(3)}]: "
            "each gradient must have its input's shape (sum over broadcast dimensions)"
        )
    if "Jacobian mismatch" in message:
        return "the hand-written derivative disagrees with finite differences: compare f\u2032 with autograd of forward in the plots"
    if "Numerical gradient for function expected to be zero" in message:
        return "backward's result does not depend on its inputs through autograd: it was detached (detach, .data, numpy, no_grad)"
    if "undefined output grad" in message or "'NoneType'" in message:
        return (
            "backward got None for an output's gradient (check_undefined_grad: ctx.set_materialize_grads(False) "
            "lets that happen): handle a None grad_output, or keep grads materialized"
        )
    if "not a double precision" in message or "float64" in message:
        return "gradcheck is reliable in float64; lower precision needs a larger eps and atol"
    return ""


def _describe(name: str, passed: bool, message: str, numbers: Callable, arg_names) -> CheckResult:
    result = CheckResult(name, passed, message, hint="" if passed else hint_for(message, arg_names))
    add_numbers(result, _best_effort(lambda: numbers(message)))
    return result


def add_numbers(result: CheckResult, numbers: tuple | None) -> None:
    """Set the error statistics and the worst entry from ``numbers`` = (stats, worst entry), either None."""
    stats, worst = numbers if numbers is not None else (None, None)
    if stats is not None:
        result.max_abs_error, result.max_rel_error, result.worst_element = stats
    result.worst = worst


def mismatch_block(message: str) -> tuple[int, int] | None:
    """(output, input) of PyTorch's "Jacobian mismatch for output i with respect to input j", or None."""
    found = re.search(r"Jacobian mismatch for output (\d+) with respect to input (\d+)", message)
    return (int(found.group(1)), int(found.group(2))) if found else None


def _numbers(jacobians: Jacobians | None, inputs: tuple, reference: Callable | None) -> Callable[[str], tuple]:
    """``message -> (stats, worst entry)`` over the block PyTorch's message names (the whole Jacobian otherwise)."""

    def compute(message: str) -> tuple:
        if jacobians is None or jacobians.numerical.size == 0:
            return None, None
        named = mismatch_block(message)
        block = jacobians.block(*named) if named else None
        worst = _best_effort(lambda: worst_entry(jacobians, inputs, reference, block))
        return worst_error(jacobians, block), worst

    return compute


def _names(spec: FunctionSpec, inputs: tuple) -> list[str]:
    names = list(spec.arg_names)
    return names + [f"arg{i}" for i in range(len(names), len(inputs))]


def _run(name: str, check: Callable, spec: FunctionSpec, numbers: Callable = lambda message: None) -> CheckResult:
    """Run one PyTorch check; its exception message is the verdict's message.

    ``numbers(message)`` gives the error statistics and the worst entry.
    """
    try:
        check()
        passed, message = True, f"{name} passed"
    except _GRADCHECK_MODULE.GradcheckError as exc:
        passed, message = False, str(exc).strip()
    except Exception as exc:  # noqa: BLE001 - user backward raising is a failed check
        if _raised_inside_gradcheck(exc, spec.filename):
            passed, message = False, f"torch.autograd.{name.split()[0]} itself raised {type(exc).__name__}: {exc} (inside PyTorch, not in your file)"
        else:
            problem = problem_from_exception(exc, spec.filename, "backward", f"{spec.name}.backward", fallback=spec.method_location("backward"))
            passed, message = False, problem.message
    return _describe(name, passed, message, numbers, spec.arg_names)


def _raised_inside_gradcheck(exc: BaseException, filename: str) -> bool:
    """Whether ``exc`` came from gradcheck's own Python code, with no frame of the user's file on the way."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames or any(os.path.abspath(f.filename) == os.path.abspath(filename) for f in frames):
        return False
    return os.path.abspath(frames[-1].filename) == os.path.abspath(_GRADCHECK_MODULE.__file__)


def _nonfinite_warning(output, spec: FunctionSpec) -> str:
    """A warning when forward returns NaN or inf at the check's inputs, or ``""``."""
    outputs = (output,) if isinstance(output, torch.Tensor) else tuple(output)
    tensors = [o for o in outputs if isinstance(o, torch.Tensor) and o.is_floating_point()]
    bad = sum(int((~torch.isfinite(o)).sum()) for o in tensors)
    if not bad:
        return ""
    total = sum(o.numel() for o in tensors)
    where = "the 'inputs' option" if spec.options.inputs else f"domain {spec.options.domain}"
    return (
        f"forward returned NaN or inf for {bad} of {total} outputs at the check's inputs (from {where}); "
        "gradcheck cannot compare there: narrow 'domain' or supply 'inputs' where f is finite"
    )


def _double_backward_blocker(fn: Callable, inputs: tuple) -> str | None:
    """PyTorch's reason double backward cannot run, or None when it can be tried."""
    diff = [a for a in inputs if isinstance(a, torch.Tensor) and a.requires_grad]
    out = first_tensor(fn(*inputs))
    if not out.requires_grad:
        return None
    seed = torch.ones_like(out, requires_grad=True)
    try:
        grads = torch.autograd.grad(out, diff, seed, create_graph=True, allow_unused=True)
    except Exception:  # noqa: BLE001 - first-order failure is gradcheck's to report
        return None
    connected = [g for g in grads if g is not None]
    if not connected:
        return None
    if any(g.requires_grad and g.grad_fn is not None and _depends_on(g, seed) for g in connected):
        return None
    blocker = double_backward_blocker(connected[0])
    return blocker if "not supported" in blocker else None


def _depends_on(tensor: torch.Tensor, leaf: torch.Tensor) -> bool:
    (grad,) = torch.autograd.grad(tensor.sum(), leaf, retain_graph=True, allow_unused=True)
    return grad is not None


def capabilities(spec: FunctionSpec, double_backward: str) -> Capabilities:
    """What the Function supports, from its class (and ``double_backward`` from a probe)."""
    if spec.op is not None:  # a custom op: what torch.library has registered for it
        return Capabilities(
            double_backward=double_backward,
            forward_ad=False,
            vmap=getattr(spec.op, "_vmap_fn", None) is not None,
            setup_context=getattr(spec.op, "_setup_context_fn", None) is not None,
            needs_input_grad=False,
        )
    cls = spec.cls
    backward = inspect.unwrap(cls.backward)
    try:
        reads_needs_input_grad = "needs_input_grad" in inspect.getsource(backward)
    except (OSError, TypeError):
        reads_needs_input_grad = False
    return Capabilities(
        double_backward=double_backward,
        forward_ad=cls.jvp is not Function.jvp,
        vmap=bool(getattr(cls, "generate_vmap_rule", False)) or cls.vmap is not Function.vmap,
        setup_context=spec.uses_setup_context,
        needs_input_grad=reads_needs_input_grad,
    )


#: dtypes whose finite differences are coarse: a failure there is rerun in float64.
LOW_PRECISION = (torch.float32, torch.float16, torch.bfloat16)
#: gradcheck's own default step, for the float64 rerun.
FLOAT64_EPS = 1e-6
#: A lower-precision failure is retried at other eps only up to this many differentiated elements (slow mode).
EPS_RETRY_ELEMENTS = 1000


def _passes(check: Callable[[], object]) -> bool:
    """Whether a PyTorch check returns without raising (a cancel, :class:`Stopped`, still propagates)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the rerun's warnings repeat the check's own
            check()
    except Exception:  # noqa: BLE001 - any failure is "does not pass"
        return False
    return True


def in_float64(values: Sequence) -> tuple:
    """``values`` with floating-point tensors cast to float64: the same points, requires_grad kept."""
    return tuple(
        v.detach().to(torch.float64).requires_grad_(v.requires_grad) if isinstance(v, torch.Tensor) and v.is_floating_point() else v
        for v in values
    )


def returns_none_for(fn: Callable, inputs: tuple, argument: int) -> bool:
    """Whether backward gives no gradient (returns None) for ``inputs[argument]``, which requires grad."""
    args = [a.detach().requires_grad_(a.requires_grad) if isinstance(a, torch.Tensor) else a for a in inputs]
    with torch.enable_grad():
        outputs = differentiable_outputs(fn(*args))
        if not outputs:
            return False
        (grad,) = torch.autograd.grad(outputs, args[argument], [torch.ones_like(o) for o in outputs], allow_unused=True)
    return grad is None


def _mismatch_hint(worst: WorstEntry | None, atol: float, rtol: float, order: int) -> str:
    """What the numbers at the worst entry show, for a mismatch PyTorch reported."""
    what = "derivative" if order == 1 else "derivative of backward (double backward)"
    curve = "f\u2032" if order == 1 else "f\u2033"
    if worst is None:
        return f"the hand-written {what} disagrees with finite differences: compare {curve} with autograd of forward in the plots"
    if worst.autograd_of_forward is None:  # autograd cannot follow the forward (NumPy): finite differences are all there is
        return (
            f"the hand-written {what} disagrees with finite differences at {worst.input} (backward {worst.backward:.6g}, finite "
            f"differences {worst.finite_differences:.6g}); autograd of forward cannot follow the forward to say more: compare "
            f"{curve} with finite differences in the plots"
        )
    autograd = worst.autograd_of_forward
    if abs(worst.backward - autograd) <= atol + rtol * abs(autograd):
        return (
            f"the hand-written {what} agrees with autograd of forward at {worst.input} ({worst.backward:.6g}) but finite "
            f"differences give {worst.finite_differences:.6g}: f may not be smooth there, or eps does not suit it (try the eps sweep)"
        )
    return (
        f"the hand-written {what} disagrees with finite differences and with autograd of forward at {worst.input} "
        f"(backward {worst.backward:.6g}, autograd of forward {autograd:.6g}): compare {curve} with autograd of forward in the plots"
    )


class _Explainer:
    """Replaces a failed check's generic hint by the cause the evidence shows.

    A mismatch in float32, float16 or bfloat16 is rerun in float64 at the
    same points before anything is said of backward; a mismatch for an
    argument backward returns None for points to ``constants``; otherwise
    the worst entry's numbers (backward, finite differences, autograd of
    forward) say which side is off.  Verdicts never change.
    """

    def __init__(self, spec: FunctionSpec, fn: Callable, inputs: tuple, dtype: torch.dtype, options: dict, undefined_grad: bool) -> None:
        self.spec, self.fn, self.inputs, self.dtype = spec, fn, inputs, dtype
        self.options, self.undefined_grad = options, undefined_grad
        self.dtype_name = str(dtype).replace("torch.", "")

    def first(self, result: CheckResult) -> None:
        """Explain a failed gradcheck."""
        block = mismatch_block(result.message) if result.passed is False else None
        if block is None:
            return
        none_hint = self._none_gradient(block[1], result.worst)
        if none_hint:
            result.hint = none_hint
            return

        def check(inputs, eps):
            options = {**self.options, "eps": eps}
            return torch.autograd.gradcheck(self.fn, inputs, check_undefined_grad=self.undefined_grad, **options)

        if self.dtype in LOW_PRECISION:
            self._precision(result, check, self.inputs, 1)
        else:
            result.hint = _mismatch_hint(result.worst, self.options["atol"], self.options["rtol"], 1)

    def second(self, result: CheckResult, first: CheckResult, grad_outputs: tuple | None) -> None:
        """Explain a failed gradgradcheck (given gradcheck's result and the grad_outputs it was run with)."""
        if result.passed is not False or mismatch_block(result.message) is None or grad_outputs is None:
            return
        if first.passed is False and first.float64_passed is not True:
            result.hint = "gradgradcheck differentiates backward, which gradcheck already finds wrong: fix gradcheck's failure first"
            if first.hint.startswith("backward returned None"):
                result.hint = first.hint
            return
        n = len(self.inputs)

        def check(arguments, eps):
            options = {**self.options, "eps": eps}
            return torch.autograd.gradgradcheck(self.fn, arguments[:n], arguments[n:], **options)

        if self.dtype in LOW_PRECISION:
            self._precision(result, check, self.inputs + tuple(grad_outputs), 2)
        else:
            result.hint = _mismatch_hint(result.worst, self.options["atol"], self.options["rtol"], 2)

    def _none_gradient(self, input_index: int, worst: WorstEntry | None) -> str:
        """The hint for a mismatch of an argument backward returns None for, or ``""``."""
        diff_index = differentiable_indices(self.inputs)
        if not 0 <= input_index < len(diff_index):
            return ""
        argument = diff_index[input_index]
        if not _best_effort(lambda: returns_none_for(self.fn, self.inputs, argument)):
            return ""
        names = _names(self.spec, self.inputs)
        name = names[argument]
        options = self.spec.options
        value = f"{options.fixed[argument]:g}" if argument in options.fixed_given else "VALUE"
        seen = f" ({worst.finite_differences:.6g} at {worst.input})" if worst is not None else ""
        return (
            f"backward returned None for {name}, but {name} requires grad and f depends on it: finite differences find a "
            f"derivative{seen}. If {name} is a setting (an exponent, a scale), declare it a constant, which is never "
            f"differentiated: EXPLORE = {{\"{self.spec.name}\": {{\"constants\": {{\"{name}\": {value}}}}}}}; otherwise return its gradient"
        )

    def _precision(self, result: CheckResult, check: Callable[[tuple, float], object], arguments: tuple, order: int) -> None:
        """Rerun ``check`` in float64 at the same points; on a pass, look for an eps that passes in this dtype."""
        result.float64_passed = _passes(lambda: check(in_float64(arguments), FLOAT64_EPS))
        if not result.float64_passed:
            result.hint = (
                f"fails in float64 at the same points too (eps={FLOAT64_EPS:g}), so it is not {self.dtype_name}'s precision: "
                + _mismatch_hint(result.worst, self.options["atol"], self.options["rtol"], order)
            )
            return
        tried = self._eps_candidates()
        result.suggested_eps = next((eps for eps in tried if _passes(lambda eps=eps: check(arguments, eps))), None)
        coarse = f"passes in float64 at the same points: the finite differences of {self.dtype_name} are too coarse at eps={self.options['eps']:g}"
        if result.suggested_eps is not None:
            result.hint = f"{coarse} (try eps={result.suggested_eps:.2g}, which passes in {self.dtype_name} here, or float64)"
        elif tried:
            result.hint = (
                f"{coarse}, and at every eps tried ({', '.join(f'{e:.2g}' for e in tried)}) with atol={self.options['atol']:g}, "
                f"rtol={self.options['rtol']:g} (loosen atol and rtol, or use float64)"
            )
        else:
            cube_root = float(torch.finfo(self.dtype).eps) ** (1 / 3)
            result.hint = f"{coarse} (try eps\u2248{cube_root:.2g}, the cube root of {self.dtype_name}'s machine epsilon, or float64)"

    def _eps_candidates(self) -> list[float]:
        """Steps near the cube root of this dtype's machine epsilon, nearest first; none for a large slow-mode check."""
        elements = sum(self.inputs[i].numel() for i in differentiable_indices(self.inputs))
        if elements > EPS_RETRY_ELEMENTS and not self.options["fast_mode"]:
            return []
        cube_root = float(torch.finfo(self.dtype).eps) ** (1 / 3)
        candidates = [cube_root * factor for factor in (1, 3, 1 / 3, 10, 1 / 10)]
        return [eps for eps in candidates if eps <= 0.5 and not np.isclose(eps, self.options["eps"], rtol=0.05)]


class _ProgressCounter:
    """Counts gradcheck's slow-mode work, in the forward and backward calls of ``fn``.

    ``total`` is an estimate made before the first call: steps past it are
    held at ``total - 1``, so only :meth:`finish` reports ``total``.  With
    ``count_steps`` False (fast mode, whose calls the estimate does not
    describe) only :meth:`finish` reports.
    """

    def __init__(self, fn: Callable, total: int, report: Report, count_steps: bool = True) -> None:
        self.fn, self.total, self.report, self.count_steps, self.done = fn, max(total, 1), report, count_steps, 0

    def _step(self, *_args) -> None:
        self.done += 1
        if self.count_steps:
            self.report(min(self.done, self.total - 1), self.total)

    def finish(self) -> None:
        """Report the last step: ``total`` of ``total``."""
        self.report(self.total, self.total)

    def __call__(self, *args):
        self._step()
        output = self.fn(*args)
        node = getattr(output, "grad_fn", None)
        if node is not None:
            node.register_prehook(self._step)
        return output


def _slow_mode_calls(n_in: int, n_out: int, gradgradcheck: bool) -> int:
    """Forward and backward calls slow-mode checks make, for ``n_in`` input and ``n_out`` output elements.

    gradcheck's numerical Jacobian calls forward twice per input element; its
    analytical one runs backward once per output element, twice over (the
    reentrancy check).  gradgradcheck does the same to the first derivative,
    each of whose calls is a forward and a backward, over inputs and
    grad_outputs; its double backward, once per input element and twice over,
    passes the Function's node again when backward reuses the output (as
    Sigmoid's does).  PyTorch's few probe calls are not counted, and the last
    term over-counts a backward that does not reuse the output.
    """
    first = 2 * n_in + 2 * n_out
    second = 4 * (n_in + n_out) + 2 * n_in if gradgradcheck else 0
    return first + second


def run_checks(
    spec: FunctionSpec,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    dtype: torch.dtype = torch.float64,
    shape: tuple[int, ...] = (3, 4),
    seed: int = 0,
    fast_mode: bool = False,
    nondet_tol: float = 0.0,
    gradgradcheck: bool = True,
    forward_ad: bool = False,
    batched_grad: bool = False,
    undefined_grad: bool = True,
) -> Work[FunctionChecks]:
    """Run PyTorch's checks on inputs drawn from the Function's domain.

    ``gradcheck`` always runs, with ``check_undefined_grad=undefined_grad``
    (PyTorch's default, True, so the verdict is the one a direct call gives);
    the others when asked: ``gradgradcheck``, forward-mode AD
    (``check_forward_ad``) and batched grad through vmap (``check_batched_grad``).
    The checks run in a thread (see :func:`~gradlab.core.background.work_in_thread`):
    the steps are counted inside gradcheck.

    Yields
    ------
    Progress
        Slow mode's forward and backward calls, of a total estimated from the
        input and output sizes before the first; only the last step reaches
        the total.  Fast mode yields that last step only, of a total of 1.

    Returns
    -------
    FunctionChecks

    Raises
    ------
    UserCodeError
        When forward raises: the Function cannot be checked at all.
    """
    check = functools.partial(
        _check_function,
        spec,
        eps=eps,
        atol=atol,
        rtol=rtol,
        dtype=dtype,
        shape=shape,
        seed=seed,
        fast_mode=fast_mode,
        nondet_tol=nondet_tol,
        gradgradcheck=gradgradcheck,
        forward_ad=forward_ad,
        batched_grad=batched_grad,
        undefined_grad=undefined_grad,
    )
    return (yield from work_in_thread(check, name="gradlab-checks"))


def _check_function(
    spec: FunctionSpec,
    report: Report,
    *,
    eps: float,
    atol: float,
    rtol: float,
    dtype: torch.dtype,
    shape: tuple[int, ...],
    seed: int,
    fast_mode: bool,
    nondet_tol: float,
    gradgradcheck: bool,
    forward_ad: bool,
    batched_grad: bool,
    undefined_grad: bool,
) -> FunctionChecks:
    """:func:`run_checks`'s work, reporting its steps to ``report(done, total)``."""
    fn = apply_function(spec)
    options = dict(eps=eps, atol=atol, rtol=rtol, nondet_tol=nondet_tol, fast_mode=fast_mode)
    with captured_output() as captured:
        inputs = make_inputs(spec, shape, dtype, "cpu", seed)
        with torch.no_grad():
            probe = fn(*inputs)  # forward errors make the file unusable: raise them as such
        inputs = _off_kinks(spec, inputs, eps, captured.warnings)
        nonfinite = _nonfinite_warning(probe, spec)
        if nonfinite:
            captured.warnings.append(nonfinite)
        names = _names(spec, inputs)
        n_in = sum(inputs[i].numel() for i in differentiable_indices(inputs))
        work = _slow_mode_calls(n_in, sum(o.numel() for o in _outputs(probe)), gradgradcheck)
        counted = _ProgressCounter(fn, 1 if fast_mode else work, report, count_steps=not fast_mode)
        reference = autograd_of_forward(spec)
        jacobians = _best_effort(lambda: compute_jacobians(fn, inputs, eps, names))
        first = _run(
            "gradcheck",
            lambda: torch.autograd.gradcheck(counted, inputs, check_undefined_grad=undefined_grad, **options),
            spec,
            _numbers(jacobians, inputs, reference),
        )
        blocker, grad_outputs = _double_backward_blocker(fn, inputs), None
        if blocker:
            second = CheckResult(
                "gradgradcheck",
                None,
                f"not supported: {blocker}",
                hint="remove @once_differentiable and write backward with differentiable torch operations to get f\u2033",
            )
        elif not gradgradcheck:
            second = CheckResult("gradgradcheck", None, "not run (switched off)")
        else:
            grad_outputs = _best_effort(lambda: make_grad_outputs(fn, inputs, seed))
            second = _run(
                "gradgradcheck",
                lambda: torch.autograd.gradgradcheck(counted, inputs, grad_outputs, **options),
                spec,
                functools.partial(_gradgrad_numbers, fn, reference, inputs, grad_outputs, eps, names),
            )
        explain = _Explainer(spec, counted, inputs, dtype, options, undefined_grad)
        if nonfinite and first.passed is False:
            first.hint = "forward returns NaN or inf at some of the check's inputs: narrow 'domain' or supply 'inputs'"
        elif not nonfinite:
            explain.first(first)
            explain.second(second, first, grad_outputs)
        double_backward = "not supported" if blocker else "yes"
        if not blocker and second.passed is False:
            double_backward = _explain_saved_intermediates(spec, inputs, second) or double_backward
        caps = capabilities(spec, double_backward)
        taylor = _best_effort(lambda: _taylor(spec, inputs, seed))  # at the checked points, kinks moved away
        extra = []
        if forward_ad:
            extra.append(
                _run("forward AD", lambda: torch.autograd.gradcheck(fn, inputs, check_forward_ad=True, check_backward_ad=False, check_undefined_grad=False, **options), spec)
                if caps.forward_ad
                else CheckResult("forward AD", None, "not supported: the Function defines no jvp staticmethod", hint="add @staticmethod jvp(ctx, *grad_inputs) to support forward-mode AD")
            )
        if batched_grad:
            extra.append(
                _run("batched grad (vmap)", lambda: torch.autograd.gradcheck(fn, inputs, check_batched_grad=True, check_undefined_grad=False, **options), spec)
                if caps.vmap
                else CheckResult("batched grad (vmap)", None, "not supported: the Function has no vmap rule", hint="set generate_vmap_rule = True (with setup_context) or define a vmap staticmethod")
            )
    counted.finish()
    return FunctionChecks(
        spec.name,
        first,
        second,
        captured,
        extra=extra,
        capabilities=caps,
        jacobians=jacobians,
        dtype=str(dtype).replace("torch.", ""),
        eps=eps,
        taylor=taylor,
    )


def _off_kinks(spec: FunctionSpec, inputs: tuple, eps: float, warnings: list[str]) -> tuple:
    """``inputs`` with elements near a kink (ReLU at 0, abs, clamp edges) moved away, where finite differences mean nothing."""
    moved_inputs, moved = _best_effort(lambda: move_off_kinks(spec, inputs, eps, elementwise=spec.options.elementwise, seed=0)) or (inputs, 0)
    if moved:
        warnings.append(
            f"{moved} input element(s) lay within 2·eps of a kink, where f is not differentiable and finite differences "
            "mean nothing: they were moved 6·eps away before checking"
        )
    return moved_inputs


def _explain_saved_intermediates(spec: FunctionSpec, inputs: tuple, second: CheckResult) -> str:
    """Name the tensors forward saved that break double backward (hint of ``second``); the capability text, or ""."""
    found = _best_effort(lambda: find_saved_intermediates(spec, tuple(t.detach().clone().requires_grad_(t.requires_grad) if isinstance(t, torch.Tensor) else t for t in inputs)))
    if not found:
        return ""
    second.hint = "; ".join(item.explanation for item in found)
    names = ", ".join(f"{item.name} (line {item.lineno})" for item in found)
    return f"no: forward saves {names} without autograd history"


def _taylor(spec: FunctionSpec, inputs: tuple, seed: int) -> TaylorCheck:
    result = taylor_test(spec, inputs, seed=seed)
    return TaylorCheck(
        slope=float(result.slope),
        passed=result.passed,
        note=result.note,
        hs=[float(h) for h in result.hs],
        remainders=[float(r) for r in result.remainders],
        points_used=int(result.points_used),
    )


def _outputs(output) -> tuple:
    return (output,) if isinstance(output, torch.Tensor) else tuple(o for o in output if isinstance(o, torch.Tensor))


def _best_effort(compute: Callable):
    try:
        return compute()
    except Exception:  # noqa: BLE001 - statistics never change a verdict
        return None


def _gradgrad_numbers(
    fn: Callable, reference: Callable, inputs: tuple, grad_outputs: tuple | None, eps: float, names: list[str], message: str
) -> tuple:
    """(stats, worst entry) for ``message``, of the function gradgradcheck checks: (inputs, grad_outputs) -> gradients.

    The grad_outputs are the ones gradgradcheck was given, so the Jacobians
    are those PyTorch compared; the worst entry's autograd value comes from
    the same first derivative taken through autograd of forward.
    """
    first_derivative, arguments = first_derivative_function(fn, inputs, grad_outputs)
    reference_derivative, _ = first_derivative_function(reference, inputs, arguments[len(inputs) :])
    seeds = len(arguments) - len(inputs)
    seed_names = ["grad_output"] if seeds == 1 else [f"grad_output{j}" for j in range(seeds)]
    jacobians = compute_jacobians(first_derivative, arguments, eps, names + seed_names)
    return _numbers(jacobians, arguments, reference_derivative)(message)


def sweep_eps(
    spec: FunctionSpec,
    eps_values: Sequence[float] | None = None,
    shape: tuple[int, ...] = (3, 4),
    seed: int = 0,
) -> Work[EpsSweep]:
    """gradcheck's numerical Jacobian error against eps, in float64 and float32 (default eps 1e-12 … 1e-1).

    Yields one :class:`Progress` per (dtype, eps) step (see
    :func:`~gradlab.core.jacobians.eps_sweep`) and returns the :class:`EpsSweep`.
    """
    eps_values = np.logspace(-12, -1, 45) if eps_values is None else eps_values
    fn = apply_function(spec)
    work = eps_sweep(spec.name, lambda dtype: (fn, make_inputs(spec, shape, dtype, "cpu", seed)), eps_values)
    return (yield from quietly(work))
