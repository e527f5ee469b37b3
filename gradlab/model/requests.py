"""Requests to the engine: plain, picklable dataclasses with no torch objects.

Each request carries the whole source (path, and the unsaved text if any), so
the engine keeps no state between requests and a restarted engine needs
nothing replayed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gradlab.model.options import BenchOptions, CheckOptions, SweepOptions


@dataclass(frozen=True)
class Source:
    """A function file: its path, and an unsaved buffer to run instead of the disk's text."""

    path: str
    text: str | None = None


@dataclass(frozen=True)
class LoadRequest:
    """Load a file and describe its Functions (answer: :class:`~gradlab.model.results.FileInfo`)."""

    source: Source

    def describe(self) -> str:
        return "loading the file"


@dataclass(frozen=True)
class CurvesRequest:
    """Compute f, f', f'' and references (answer: :class:`~gradlab.model.results.CurveSet`)."""

    source: Source
    function: str | None = None
    domain: tuple[float, float] | None = None
    points: int = 1001
    sweep: int | None = None
    fixed: tuple[float, ...] | None = None
    eps: float | None = None

    def describe(self) -> str:
        return f"computing the curves of {self.function or 'the first Function'}"


@dataclass(frozen=True)
class CheckRequest:
    """Run gradcheck and gradgradcheck (answer: :class:`~gradlab.model.results.FunctionChecks`)."""

    source: Source
    function: str | None = None
    options: CheckOptions = CheckOptions()

    def describe(self) -> str:
        return f"checking {self.function or 'the first Function'}"


@dataclass(frozen=True)
class EpsSweepRequest:
    """Sweep gradcheck's eps in float64 and float32 (answer: :class:`~gradlab.model.results.EpsSweep`)."""

    source: Source
    function: str | None = None
    options: SweepOptions = SweepOptions()

    def describe(self) -> str:
        return f"sweeping eps for {self.function or 'the first Function'}"


@dataclass(frozen=True)
class CallsRequest:
    """Call a Function the tutorial's two ways (answer: :class:`~gradlab.model.results.CallStyles`)."""

    source: Source
    function: str | None = None
    values: tuple[float, ...] | None = None
    requires_grad: tuple[bool, ...] | None = None

    def describe(self) -> str:
        return f"calling {self.function or 'the first Function'}"


@dataclass(frozen=True)
class EngineInfo:
    """What the engine process runs on, sent once when it is ready."""

    torch_version: str
    python_version: str
    threads: int
    devices: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OtherFunction:
    """Another Function to time against a benchmark's own: ``function`` of ``source``, or (None) each one with the same arguments."""

    source: Source
    function: str | None = None


@dataclass(frozen=True)
class BenchRequest:
    """Benchmark the implementations (answer: :class:`~gradlab.model.results.BenchmarkReport`).

    Rows and explanations also arrive one by one as progress items.
    """

    source: Source
    function: str | None = None
    options: BenchOptions = BenchOptions()
    others: tuple[OtherFunction, ...] = ()

    def describe(self) -> str:
        return f"benchmarking {self.function or 'the first Function'}"
