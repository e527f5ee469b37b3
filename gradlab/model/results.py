"""Plain dataclasses that cross the process boundary: numbers, strings, numpy arrays.

Nothing here imports torch or Qt, so both the engine and the GUI can use them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gradlab.model.opcheck import OpcheckResult
from gradlab.model.transforms import TransformResult


@dataclass(frozen=True)
class Location:
    """A place in the user's code."""

    filename: str
    lineno: int

    def __str__(self) -> str:
        return f"{self.filename}:{self.lineno}"


@dataclass
class Problem:
    """Something the user can act on: what went wrong, where, and how to fix it.

    Attributes
    ----------
    kind : str
        One of ``"syntax"``, ``"load"``, ``"no_function"``, ``"options"``,
        ``"forward"``, ``"backward"``, ``"timeout"``, ``"crash"``,
        ``"cancelled"``, ``"superseded"`` (a newer edit replaced the request),
        ``"internal"``.
    message : str
        One line, naming the file and line where there is one.
    location : Location or None
        The innermost frame in the user's file.
    detail : str
        Python's or PyTorch's own message, untouched.
    hint : str
        A sentence on how to fix it, or ``""``.
    traceback : str
        The formatted traceback, for a "Details" view.
    """

    kind: str
    message: str
    location: Location | None = None
    detail: str = ""
    hint: str = ""
    traceback: str = ""

    def __str__(self) -> str:
        text = self.message
        if self.detail and self.detail not in text:
            text += f"\n  {self.detail}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


@dataclass
class Captured:
    """What user code printed and warned while it ran."""

    stdout: str = ""
    warnings: list[str] = field(default_factory=list)
    dropped_chars: int = 0


@dataclass
class FunctionInfo:
    """One explorable Function of a file and its options, as plain values."""

    name: str
    lineno: int
    description: str
    arg_names: list[str]
    uses_setup_context: bool
    domain: tuple[float, float]
    sweep: int
    fixed: list[float]
    elementwise: bool
    compare: list[str]
    has_inputs: bool
    kind: str = "Function"


@dataclass
class FileInfo:
    """A loaded function file: its description and its Functions."""

    path: str
    description: str
    functions: list[FunctionInfo]
    captured: Captured = field(default_factory=Captured)


@dataclass
class Curve:
    """f, f' and f'' of one implementation over the grid; ``None`` where unavailable.

    ``df_note`` / ``d2f_note`` say why a derivative is missing.
    """

    label: str
    f: np.ndarray | None
    df: np.ndarray | None = None
    d2f: np.ndarray | None = None
    df_note: str = ""
    d2f_note: str = ""


@dataclass
class Residual:
    """Hand-written derivative minus a reference, and its worst point."""

    order: int
    reference: str
    values: np.ndarray
    max_abs: float
    at: float

    @property
    def label(self) -> str:
        prime = "\u2032" if self.order == 1 else "\u2033"
        return f"f{prime} \u2212 {self.reference}"


@dataclass
class CurveSet:
    """Everything the plots show for one Function.

    Attributes
    ----------
    function : str
        The Function's class name.
    parameter : str
        What ``x`` is: the swept argument's name, or a line parameter.
    x : numpy.ndarray
        The grid.
    hand_written : Curve
        f from ``apply``, f' from the hand-written backward, f'' from its
        double backward.
    references : list of Curve
        Autograd of forward, finite differences, then each ``compare`` entry.
    residuals : list of Residual
        Hand-written minus each reference that has the derivative.
    notes : list of str
        Things the user should know (non-finite points, multiple outputs...).
    kinks : list of float
        Where f is not differentiable (f′ jumps): finite differences mean nothing there.
    """

    function: str
    parameter: str
    x: np.ndarray
    hand_written: Curve
    references: list[Curve]
    residuals: list[Residual]
    notes: list[str] = field(default_factory=list)
    captured: Captured = field(default_factory=Captured)
    kinks: list[float] = field(default_factory=list)

    def reference(self, label: str) -> Curve:
        """Return the reference curve called ``label``."""
        for curve in self.references:
            if curve.label == label:
                return curve
        raise KeyError(label)


@dataclass
class WorstEntry:
    """One Jacobian entry with every number a reader needs to judge it.

    Attributes
    ----------
    input : str
        The input element, e.g. ``"x[0, 1]"``.
    output : str
        The output element, e.g. ``"out[0, 1]"``.
    input_value : float
        The input's value there.
    backward : float
        The entry from the hand-written backward (analytical).
    finite_differences : float
        gradcheck's central difference (numerical).
    autograd_of_forward : float or None
        The entry autograd gives through the Function's forward code (None
        when it cannot be computed).
    relative_difference : float
        |backward − finite differences| / |finite differences|.
    """

    input: str
    output: str
    input_value: float
    backward: float
    finite_differences: float
    autograd_of_forward: float | None
    relative_difference: float

    def text(self) -> str:
        """One line: where, and the numbers."""
        autograd = "" if self.autograd_of_forward is None else f", autograd of forward {self.autograd_of_forward:.6g}"
        return (
            f"at {self.input} = {self.input_value:.6g} ({self.output}): backward {self.backward:.6g}, "
            f"finite differences {self.finite_differences:.6g}{autograd}; relative difference {self.relative_difference:.3g}"
        )


@dataclass
class CheckResult:
    """The verdict of one check (``gradcheck`` or ``gradgradcheck``).

    ``passed`` is ``None`` when the check could not run at all (``message``
    says why, e.g. a ``once_differentiable`` backward for gradgradcheck).

    Attributes
    ----------
    max_abs_error, max_rel_error, worst_element
        The largest |analytical − numerical| Jacobian entry of the block
        PyTorch's message names (of the whole Jacobian when it names none),
        its error relative to the numerical value, and where it is.
    worst : WorstEntry or None
        That entry with its numbers.
    float64_passed : bool or None
        For a failed check in a lower precision: whether the same check passes
        in float64 at the same points (None when it was not rerun).
    suggested_eps : float or None
        An eps at which the failed lower-precision check passes at these points.
    """

    name: str
    passed: bool | None
    message: str
    max_abs_error: float | None = None
    max_rel_error: float | None = None
    worst_element: str = ""
    hint: str = ""
    worst: WorstEntry | None = None
    float64_passed: bool | None = None
    suggested_eps: float | None = None


@dataclass
class TaylorCheck:
    """The Taylor test: |f(x + h·v) − f(x) − h·⟨∇f, v⟩| against h, whose log–log slope is 2 for a right gradient, 1 for a wrong one.

    ``passed`` is None when it could not run; ``note`` says why, or what else it saw.
    """

    slope: float
    passed: bool | None
    note: str = ""
    hs: list[float] = field(default_factory=list)
    remainders: list[float] = field(default_factory=list)
    points_used: int = 0

    def summary(self) -> str:
        if self.passed is None:
            return f"Taylor test: not run ({self.note})"
        verdict = "pass" if self.passed else "FAIL"
        detail = self.note or (f"remainder slope {self.slope:.2f}" if self.slope == self.slope else "remainder at round-off")
        return f"Taylor test (eps-free: the remainder falls like h\u00b2 for a right gradient): {verdict} \u2014 {detail}"


@dataclass
class FunctionChecks:
    """The checks of one Function, with what its code printed and warned.

    ``extra`` holds the optional checks that ran (forward-mode AD, batched
    grad, undefined grad); ``jacobians`` gradcheck's Jacobians when small
    enough to show.
    """

    function: str
    gradcheck: CheckResult
    gradgradcheck: CheckResult
    captured: Captured = field(default_factory=Captured)
    extra: list[CheckResult] = field(default_factory=list)
    capabilities: Capabilities | None = None
    jacobians: Jacobians | None = None
    dtype: str = "float64"
    eps: float = 1e-6
    taylor: TaylorCheck | None = None
    transforms: dict[str, TransformResult] | None = None
    opcheck: OpcheckResult | None = None
    kind: str = "Function"

    @property
    def rows(self) -> list[CheckResult]:
        """Every verdict, gradcheck first."""
        return [self.gradcheck, self.gradgradcheck, *self.extra]


def verdict_is_failure(checks: FunctionChecks) -> bool:
    """True when a check ran and failed (``passed is False``), or a transform gave a wrong answer; "not supported" is no failure."""
    return (
        any(result.passed is False for result in checks.rows)
        or any(t.failed for t in (checks.transforms or {}).values())
        or (checks.opcheck is not None and checks.opcheck.status == "fail")
    )


@dataclass
class CallStyles:
    """The tutorial's two ways of calling a Function, on the same inputs.

    Attributes
    ----------
    arg_names : list of str
    inputs : list of numpy.ndarray or None
        Each forward argument (None where it is not a tensor).
    requires_grad : list of bool
    output : numpy.ndarray
    grads : list of numpy.ndarray or None
        ``apply`` then ``output.backward()``: each input's ``.grad``.
    raw_backward : list of numpy.ndarray or None
        ``output.grad_fn.apply(ones)``: the tuple backward returns.
    """

    function: str
    arg_names: list[str]
    inputs: list[np.ndarray | None]
    requires_grad: list[bool]
    output: np.ndarray
    grads: list[np.ndarray | None]
    raw_backward: list[np.ndarray | None]
    captured: Captured = field(default_factory=Captured)


@dataclass
class Jacobians:
    """gradcheck's numerical Jacobian and the hand-written (analytical) one.

    Rows are the elements of every input that requires grad, in order;
    columns the elements of every output.  ``difference`` is analytical
    minus numerical.
    """

    numerical: np.ndarray
    analytical: np.ndarray
    row_labels: list[str]
    column_labels: list[str]
    eps: float
    input_sizes: list[int] = field(default_factory=list)
    output_sizes: list[int] = field(default_factory=list)
    output_differentiable: list[bool] = field(default_factory=list)

    @property
    def difference(self) -> np.ndarray:
        return self.analytical - self.numerical

    def block(self, output: int, input: int) -> tuple[slice, slice] | None:
        """Rows and columns of PyTorch's block "output ``output`` with respect to input ``input``".

        Both count as PyTorch does: ``input`` among the inputs that require
        grad, ``output`` among the differentiable outputs.  None when the
        sizes are unknown or the indices out of range.
        """
        outputs = [k for k, differentiable in enumerate(self.output_differentiable) if differentiable]
        if not 0 <= input < len(self.input_sizes) or not 0 <= output < len(outputs):
            return None
        rows = np.cumsum([0, *self.input_sizes])
        columns = np.cumsum([0, *self.output_sizes])
        k = outputs[output]
        return slice(int(rows[input]), int(rows[input + 1])), slice(int(columns[k]), int(columns[k + 1]))

    def worst(self, block: tuple[slice, slice] | None = None) -> tuple[int, int]:
        """(row, column) of the largest |difference| (NaN counts as largest), within ``block`` when given."""
        rows, columns = block or (slice(None), slice(None))
        magnitude = np.nan_to_num(np.abs(self.difference[rows, columns]), nan=np.inf)
        row, column = np.unravel_index(int(np.argmax(magnitude)), magnitude.shape)
        return int(row) + (rows.start or 0), int(column) + (columns.start or 0)


@dataclass
class Capabilities:
    """What a Function supports, in words a user reads at a glance."""

    double_backward: str
    forward_ad: bool
    vmap: bool
    setup_context: bool
    needs_input_grad: bool

    def summary(self) -> str:
        def mark(flag: bool) -> str:
            return "yes" if flag else "no"

        return (
            f"double backward: {self.double_backward} \u00b7 forward AD (jvp): {mark(self.forward_ad)} \u00b7 "
            f"vmap: {mark(self.vmap)} \u00b7 setup_context: {mark(self.setup_context)} \u00b7 "
            f"backward reads needs_input_grad: {mark(self.needs_input_grad)}"
        )


@dataclass
class EpsSweep:
    """Largest |numerical − analytical| Jacobian entry for each eps, per dtype.

    The V shape shows truncation error (right, ~eps²) and round-off (left,
    ~machine epsilon / eps); ``best`` is the eps at the bottom.  When the
    float64 error does not depend on eps (a wrong backward), no eps is best:
    ``best`` holds None and ``reason`` says why.
    """

    function: str
    eps: np.ndarray
    errors: dict[str, np.ndarray]
    best: dict[str, float | None]
    cube_root_machine_eps: dict[str, float]
    reason: str = ""


@dataclass
class LintFinding:
    """A pattern in the source that is legal Python but a known autograd mistake."""

    line: int
    code: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message} \u2014 {self.fix}"


@dataclass
class BenchmarkRow:
    """One timed cell: an implementation at a size and mode, as ``torch.utils.benchmark`` measured it.

    ``error`` is set (and the times are None) when the cell was not timed:
    its outputs or gradients differ from the custom Function's, or it failed.
    ``median_s``, ``iqr_s`` and ``min_s`` are per call, over ``rounds``
    interleaved rounds (``runs`` timed blocks in all, re-measured outliers
    included); ``noisy`` is set when the IQR stayed above 5 % of the median
    within the cell's time budget.  ``size`` is the element count and
    ``shape`` the input's shape when it is not the 1-D ``(size,)``: both are
    what was *timed*.  ``requested`` is the size asked for, set only when the
    Function's ``inputs`` made something else.  ``instructions`` is
    callgrind's instruction count per call, when asked for.
    """

    implementation: str
    size: int
    mode: str
    device: str
    dtype: str
    median_s: float | None
    iqr_s: float | None
    runs: int
    noisy: bool = False
    error: str = ""
    shape: tuple[int, ...] = ()
    min_s: float | None = None
    rounds: int = 0
    requested: tuple[int, ...] = ()
    instructions: int | None = None

    def __post_init__(self) -> None:
        self.shape = tuple(self.shape)  # a list after a JSON round trip
        self.requested = tuple(self.requested)

    @property
    def dims(self) -> tuple[int, ...]:
        """The input's shape: ``shape``, or ``(size,)`` for a 1-D input."""
        return self.shape or (self.size,)


@dataclass
class BenchmarkWhy:
    """What explains an implementation's time: work launched, memory kept for backward, peak memory."""

    implementation: str
    size: int
    forward_ops: int
    backward_ops: int
    forward_kernels: int
    backward_kernels: int
    saved_bytes: int
    peak_bytes: int | None
    top_ops: list[str] = field(default_factory=list)
    bytes_per_element: float | None = None


@dataclass
class CostFit:
    """time = ``overhead_s`` + elements × ``per_element_s``, fitted to one implementation's medians over the size sweep.

    ``max_relative_error`` is the fit's worst miss over the ``sizes`` fitted;
    ``bytes_per_element`` is the memory traffic of one call per input element
    (from the profiler), and ``bandwidth_fraction`` the bytes per second that
    implies over this machine's measured copy bandwidth.
    """

    implementation: str
    mode: str
    overhead_s: float
    per_element_s: float
    sizes: int
    max_relative_error: float
    bytes_per_element: float | None = None
    bandwidth_fraction: float | None = None


@dataclass
class Crossover:
    """Where two implementations' fitted lines cross: ``faster_below`` wins under ``elements``, ``faster_above`` over it."""

    mode: str
    faster_below: str
    faster_above: str
    elements: float


@dataclass
class CostModel:
    """Per-call overhead and per-element cost of each implementation, and where the ranking changes.

    ``copy_bandwidth`` is bytes per second of a large ``copy_`` on the
    benchmark's device (read + write counted), ``bandwidth_source`` says how it
    was obtained ("measured now", "cached, measured 2026-11-28").
    """

    fits: list[CostFit] = field(default_factory=list)
    crossovers: list[Crossover] = field(default_factory=list)
    copy_bandwidth: float | None = None
    bandwidth_source: str = ""

    def to_json(self) -> dict:
        from dataclasses import asdict

        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> CostModel:
        return cls(
            fits=[CostFit(**f) for f in data.get("fits", [])],
            crossovers=[Crossover(**c) for c in data.get("crossovers", [])],
            copy_bandwidth=data.get("copy_bandwidth"),
            bandwidth_source=data.get("bandwidth_source", ""),
        )


@dataclass
class BenchmarkReport:
    """A whole benchmark run: rows, explanations and the environment; JSON round-trips."""

    function: str
    rows: list[BenchmarkRow]
    why: list[BenchmarkWhy]
    environment: dict
    notes: list[str] = field(default_factory=list)
    cost: CostModel | None = None

    def to_json(self) -> dict:
        from dataclasses import asdict

        return {
            "function": self.function,
            "environment": self.environment,
            "rows": [{k: v for k, v in asdict(r).items() if k not in ("shape", "requested") or v} for r in self.rows],  # 1-D rows: no shape
            "why": [asdict(w) for w in self.why],
            "notes": list(self.notes),
            "cost": None if self.cost is None else self.cost.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict) -> BenchmarkReport:
        """Rebuild a report saved with :meth:`to_json` (``gradlab bench --out``)."""
        return cls(
            function=data.get("function", ""),
            rows=[BenchmarkRow(**r) for r in data["rows"]],
            why=[BenchmarkWhy(**w) for w in data.get("why", [])],
            environment=dict(data.get("environment", {})),
            notes=list(data.get("notes", [])),
            cost=CostModel.from_json(data["cost"]) if data.get("cost") else None,
        )
