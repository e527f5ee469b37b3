"""The options of a check and of a benchmark, each defined once.

Requests carry them whole; ``gradlab check`` / ``gradlab bench`` derive their
flags from the fields (:func:`add_arguments`, :func:`from_arguments`) and the
panels start from their defaults.  Each field's metadata holds its help text
and, where the command line spells it differently, its flag.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field

FLOAT_DTYPES = ("float64", "float32", "float16", "bfloat16")
BENCH_MODES = ("forward", "backward", "both", "double")


def _option(default, help: str, **meta):
    """A dataclass field with its command-line help (and ``flag``, ``choices``, ``negate``, ``cli=False``) in its metadata."""
    return field(default=default, metadata={"help": help, **meta})


@dataclass(frozen=True)
class CheckOptions:
    """How ``gradcheck`` and ``gradgradcheck`` are run (DESIGN.md, the Gradcheck tab and ``gradlab check``)."""

    eps: float = _option(1e-6, "finite-difference step")
    atol: float = _option(1e-5, "absolute tolerance")
    rtol: float = _option(1e-3, "relative tolerance")
    dtype: str = _option("float64", "dtype of the checked inputs", choices=FLOAT_DTYPES)
    shape: tuple[int, ...] = _option((3, 4), "input shape, e.g. 3,4", parse="shape")
    seed: int = _option(0, "seed of the random inputs")
    fast_mode: bool = _option(False, "gradcheck's fast_mode (random projections)")
    nondet_tol: float = _option(0.0, "tolerance for nondeterminism")
    gradgradcheck: bool = _option(True, "skip gradgradcheck", flag="--no-gradgradcheck")
    forward_ad: bool = _option(False, "also check forward-mode AD (jvp)")
    batched_grad: bool = _option(False, "also check batched grad through vmap")
    undefined_grad: bool = _option(True, "skip gradcheck's check_undefined_grad (on by default, as in PyTorch)", flag="--no-undefined-grad")


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
    threads: int | None = _option(None, "CPU threads (default: torch's)", type=int)
    min_run_time: float = _option(0.2, "seconds of measurement per cell")
    seed: int = _option(0, "seed of the random inputs")

    def cell_count(self, implementations: int) -> int:
        """Cells a run measures with ``implementations`` implementations: sizes × modes × implementations."""
        return len(self.sizes) * len(self.modes) * implementations


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
