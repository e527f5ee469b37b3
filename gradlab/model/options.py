"""The options of a check and of a benchmark, each defined once.

Requests carry them whole; ``gradlab check`` / ``gradlab bench`` derive their
flags from the fields (:func:`add_arguments`, :func:`from_arguments`) and the
panels start from their defaults.  Each field's metadata holds its help text
and, where the command line spells it differently, its flag.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field

FLOAT_DTYPES = ("float64", "float32", "float16", "bfloat16")
BENCH_MODES = ("forward", "backward", "both", "double")

#: Grid points of a plot: the fewest a curve needs and the most a request may ask for
#: (about 1.3 GB in the engine at the maximum); the window's points box has the same maximum.
MIN_POINTS, MAX_POINTS = 2, 1_000_001
#: The largest seed torch.manual_seed takes.
MAX_SEED = 2**63 - 1


def _option(default, help: str, **meta):
    """A dataclass field with its command-line help in its metadata.

    Other metadata: ``flag``, ``choices``, ``single``, ``parse``, ``type``,
    ``cli=False``, and the bounds a value must respect: ``minimum``,
    ``maximum`` (inclusive) and ``above`` (exclusive).  Floats must be finite.
    """
    return field(default=default, metadata={"help": help, **meta})


@dataclass(frozen=True)
class CheckOptions:
    """How ``gradcheck`` and ``gradgradcheck`` are run (DESIGN.md, the Gradcheck tab and ``gradlab check``)."""

    eps: float = _option(1e-6, "finite-difference step", above=0.0)
    atol: float = _option(1e-5, "absolute tolerance", minimum=0.0)
    rtol: float = _option(1e-3, "relative tolerance", minimum=0.0)
    dtype: str = _option("float64", "dtype of the checked inputs", choices=FLOAT_DTYPES)
    shape: tuple[int, ...] = _option((3, 4), "input shape, e.g. 3,4", parse="shape")
    seed: int = _option(0, "seed of the random inputs", minimum=0, maximum=MAX_SEED)
    fast_mode: bool = _option(False, "gradcheck's fast_mode (random projections)")
    nondet_tol: float = _option(0.0, "tolerance for nondeterminism", minimum=0.0)
    gradgradcheck: bool = _option(True, "skip gradgradcheck", flag="--no-gradgradcheck")
    forward_ad: bool = _option(False, "also check forward-mode AD (jvp)")
    batched_grad: bool = _option(False, "also check batched grad through vmap")
    undefined_grad: bool = _option(True, "skip gradcheck's check_undefined_grad (on by default, as in PyTorch)", flag="--no-undefined-grad")
    transforms: bool = _option(False, "also run vmap, jvp, jacrev, jacfwd, hessian and torch.compile and compare each with autograd of the forward")


@dataclass(frozen=True)
class SweepOptions:
    """An eps sweep: gradcheck's numerical-Jacobian error over eps, in float64 and float32."""

    eps: tuple[float, ...] | None = None
    shape: tuple[int, ...] = (3, 4)
    seed: int = 0


@dataclass(frozen=True)
class BenchOptions:
    """What a benchmark times and how (the Benchmark tab and ``gradlab bench``)."""

    sizes: tuple[int | tuple[int, ...], ...] = _option((100, 10_000, 1_000_000), "element counts, or shapes like 100x100", parse="sizes")
    modes: tuple[str, ...] = _option(("both",), "what is timed", flag="--mode", choices=BENCH_MODES, single=True)
    implementations: tuple[str, ...] | None = _option(None, "implementations to time (default: all)", cli=False)
    dtype: str = _option("float32", "dtype of the inputs", choices=("float32", "float64", "float16", "bfloat16"))
    device: str = _option("cpu", "cpu, cuda or cuda:N")
    threads: int | None = _option(
        1,
        "CPU threads while timing; 1, as torch.utils.benchmark.Timer, because a second thread that waits for a core"
        " another process holds stalls every call",
        type=int,
        minimum=1,
    )
    min_run_time: float = _option(0.2, "seconds of measurement per cell", above=0.0)
    seed: int = _option(0, "seed of the random inputs", minimum=0, maximum=MAX_SEED)
    instructions: bool = _option(False, "also count instructions per call with valgrind's callgrind (CPU only; deterministic, slow)")
    cuda_graph: bool = _option(False, "on CUDA, also time a CUDA-graph replay, which removes kernel-launch overhead")

    def cell_count(self, implementations: int) -> int:
        """Cells a run measures with ``implementations`` implementations: sizes × modes × implementations."""
        return len(self.sizes) * len(self.modes) * implementations


def _parse_number(kind: type, text: str) -> int | float:
    """``text`` as a ``kind`` (int or float); an int may be written ``1e6``.  ValueError otherwise."""
    if kind is not int:
        return kind(text)
    try:
        return int(text)
    except ValueError:
        value = float(text)
        if not value.is_integer():
            raise ValueError(f"not a whole number: {text!r}") from None
        return int(value)


def _number_text(value: int | float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def bounds_text(minimum=None, maximum=None, above=None) -> str:
    """``"a number above 0"``, ``"a number from 2 to 1,000,001"``: the range a value must lie in, in words."""
    if above is not None:
        low = f"above {_number_text(above)}"
    elif minimum is not None:
        low = f"{'at least' if maximum is None else 'from'} {_number_text(minimum)}"
    else:
        low = ""
    high = "" if maximum is None else f"{'to' if low.startswith('from') else 'at most'} {_number_text(maximum)}"
    return " ".join(part for part in ("a number", low, high) if part)


def number_reader(kind: type = float, minimum=None, maximum=None, above=None) -> Callable[[str], int | float]:
    """An argparse ``type`` that reads a finite ``kind`` within the bounds (``minimum``/``maximum`` inclusive, ``above`` exclusive).

    Out-of-range values, NaN and infinities raise :class:`argparse.ArgumentTypeError`
    with a message saying what is expected, so argparse names the flag and exits with status 2.
    """
    expected = bounds_text(minimum, maximum, above).replace("a number", "a whole number" if kind is int else "a finite number", 1)

    def read(text: str) -> int | float:
        try:
            value = _parse_number(kind, text)
        except (ValueError, OverflowError):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if (
            not math.isfinite(value)
            or (minimum is not None and value < minimum)
            or (maximum is not None and value > maximum)
            or (above is not None and value <= above)
        ):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    read.__name__ = kind.__name__  # argparse's "invalid <name> value" messages
    return read


def curve_grid_problem(domain: tuple[float, float] | None, points: int) -> str:
    """Why a plot's ``domain`` and ``points`` cannot be computed, or ``""``.  Shared by the core and the command line."""
    try:
        count = operator.index(points)
    except TypeError:
        count = None
    if count is None or isinstance(points, bool) or not MIN_POINTS <= count <= MAX_POINTS:
        shown = f"{count:,}" if count is not None else repr(points)
        return f"points must be a whole number from {MIN_POINTS} to {MAX_POINTS:,}, got {shown}"
    if domain is not None:
        low, high = domain
        if not (math.isfinite(low) and math.isfinite(high)):
            return f"the domain must be finite, got ({low:g}, {high:g})"
        if not low < high:
            return f"the domain's low end must be below its high end, got ({low:g}, {high:g})"
    return ""


def _flag(item: dataclasses.Field) -> str:
    return item.metadata.get("flag") or "--" + item.name.replace("_", "-")


def add_arguments(parser: argparse.ArgumentParser, options: type, parsers: dict | None = None) -> None:
    """Add one command-line flag per field of ``options`` (a dataclass type), with its default in the help.

    ``parsers`` maps a field's ``parse`` metadata (``"shape"``, ``"sizes"``) to the
    function that reads it from text.
    """
    parsers = parsers or {}
    for item in dataclasses.fields(options):
        meta = item.metadata
        if not meta.get("cli", True) or "help" not in meta:
            continue
        flag, default = _flag(item), item.default
        if isinstance(default, bool):
            action = "store_false" if default else "store_true"
            parser.add_argument(flag, dest=item.name, action=action, default=default, help=meta["help"])
            continue
        shown = default[0] if meta.get("single") else default
        kind = parsers.get(meta.get("parse")) or meta.get("type") or (type(shown) if shown is not None else str)
        if kind in (int, float):
            kind = number_reader(kind, meta.get("minimum"), meta.get("maximum"), meta.get("above"))
        help_text = f"{meta['help']} (default {_text(shown)})" if shown is not None else meta["help"]
        parser.add_argument(flag, dest=item.name, type=kind, default=shown, choices=meta.get("choices"), help=help_text)


def from_arguments(options: type, args: argparse.Namespace, **overrides):
    """An ``options`` instance from parsed flags (:func:`add_arguments`); ``overrides`` win."""
    values = {}
    for item in dataclasses.fields(options):
        if item.metadata.get("cli", True) and hasattr(args, item.name):
            value = getattr(args, item.name)
            values[item.name] = (value,) if item.metadata.get("single") else value
    values.update(overrides)
    return options(**values)


def _text(value) -> str:
    if isinstance(value, tuple):
        return ",".join(_text(v) if not isinstance(v, tuple) else "x".join(map(str, v)) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)
