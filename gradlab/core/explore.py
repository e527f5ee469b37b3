"""The per-Function ``EXPLORE`` options of a function file, validated, with defaults."""

from __future__ import annotations

import ast
import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from gradlab.model.problems import UserCodeError
from gradlab.model.results import Location, Problem

DEFAULT_DOMAIN = (-5.0, 5.0)
DEFAULT_FIXED = 1.0
KNOWN_OPTIONS = ("domain", "sweep", "fixed", "constants", "inputs", "compare", "elementwise")


@dataclass
class ExploreOptions:
    """Options of one Function; every one has a default (see DESIGN.md).

    ``fixed_given`` holds the positions whose ``fixed`` value the file sets
    (checks draw those arguments around it); ``constants`` maps positions to
    the values of the arguments that are settings, never differentiated
    (their ``fixed`` entry holds the same value).
    """

    domain: tuple[float, float] = DEFAULT_DOMAIN
    sweep: int = 0
    fixed: list[float] = field(default_factory=list)
    fixed_given: tuple[int, ...] = ()
    constants: dict[int, float] = field(default_factory=dict)
    inputs: Callable | None = None
    compare: dict[str, Callable] = field(default_factory=dict)
    elementwise: bool = True


def explore_lines(source: str) -> dict[str, int]:
    """Line numbers in ``source`` of ``EXPLORE`` itself (key ``""``) and of each of its keys."""
    lines: dict[str, int] = {}
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return lines
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if not any(isinstance(t, ast.Name) and t.id == "EXPLORE" for t in targets):
            continue
        lines[""] = node.lineno
        if isinstance(node.value, ast.Dict):
            for key in node.value.keys:
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    lines[key.value] = key.lineno
    return lines


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"did you mean {close[0]!r}?" if close else f"known: {', '.join(choices)}"


class _Parser:
    """Validates one Function's raw options; each error names the file and line."""

    def __init__(self, name: str, arg_names: list[str], where: Location) -> None:
        self.name = name
        self.arg_names = arg_names
        self.where = where

    def fail(self, what: str, hint: str) -> UserCodeError:
        return UserCodeError(
            Problem(
                kind="options",
                message=f"{self.where}: EXPLORE[{self.name!r}]: {what}",
                location=self.where,
                hint=hint,
            )
        )

    def domain(self, value) -> tuple[float, float]:
        try:
            lo, hi = (float(v) for v in value)
        except (TypeError, ValueError):
            raise self.fail(f"'domain' must be two numbers, got {value!r}", "write e.g. \"domain\": (-5.0, 5.0)") from None
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise self.fail(f"'domain' must be finite with low < high, got {value!r}", "write e.g. \"domain\": (-5.0, 5.0)")
        return lo, hi

    def sweep(self, value) -> int:
        n = len(self.arg_names)
        if isinstance(value, str) and value in self.arg_names:
            return self.arg_names.index(value)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < max(n, 1):
            raise self.fail(
                f"'sweep' must be an argument index 0..{n - 1} or name, got {value!r}",
                f"forward's arguments are {', '.join(self.arg_names)}",
            )
        return value

    def fixed(self, value) -> list[float]:
        fixed = [DEFAULT_FIXED] * len(self.arg_names)
        if isinstance(value, Mapping):
            for key, v in value.items():
                if key not in self.arg_names:
                    raise self.fail(f"'fixed' names {key!r}, which is not an argument of forward", _suggest(str(key), self.arg_names))
                fixed[self.arg_names.index(key)] = self._number("fixed", v)
            return fixed
        try:
            values = list(value)
        except TypeError:  # one number (a float, or a numpy or 0-d torch scalar) for every argument
            return [self._number("fixed", value)] * len(self.arg_names)
        if len(values) != len(self.arg_names):
            raise self.fail(
                f"'fixed' has {len(values)} values for {len(self.arg_names)} arguments",
                f"give one value per forward argument ({', '.join(self.arg_names)}); the swept one is ignored",
            )
        return [self._number("fixed", v) for v in values]

    def fixed_given(self, value) -> tuple[int, ...]:
        """Positions whose value ``fixed`` sets: those it names, or all for a list or one number."""
        if isinstance(value, Mapping):
            return tuple(sorted(self.arg_names.index(key) for key in value))
        return tuple(range(len(self.arg_names)))

    def constants(self, value, sweep: int) -> dict[int, float]:
        example = "write e.g. \"constants\": {\"k\": 3.0}"
        if not isinstance(value, Mapping):
            raise self.fail(f"'constants' must map argument names to numbers, got {value!r}", example)
        constants = {}
        for key, v in value.items():
            if key not in self.arg_names:
                raise self.fail(f"'constants' names {key!r}, which is not an argument of forward", _suggest(str(key), self.arg_names))
            index = self.arg_names.index(key)
            if index == sweep:
                raise self.fail(
                    f"'constants' names {key!r}, the argument the plots sweep",
                    "a constant is never varied: sweep another argument (\"sweep\": NAME) or leave it out of 'constants'",
                )
            constants[index] = self._number("constants", v)
        return constants

    def _number(self, option: str, value) -> float:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise self.fail(f"{option!r} values must be numbers, got {value!r}", "use plain floats") from None

    def compare(self, value) -> dict[str, Callable]:
        if not isinstance(value, Mapping) or not all(callable(f) for f in value.values()):
            raise self.fail("'compare' must map names to callables", "write e.g. \"compare\": {\"builtin\": torch.sigmoid}")
        return {str(k): f for k, f in value.items()}

    def inputs(self, value) -> Callable:
        if not callable(value):
            raise self.fail("'inputs' must be a callable (shape, dtype, device) -> tuple", "write e.g. \"inputs\": lambda shape, dtype, device: (torch.randn(shape, dtype=dtype, device=device),)")
        return value


def parse_options(name: str, raw, arg_names: list[str], where: Location) -> ExploreOptions:
    """Validate ``EXPLORE[name]`` and fill in the defaults.

    Raises
    ------
    UserCodeError
        With a Problem of kind ``"options"`` naming ``where``.
    """
    parser = _Parser(name, arg_names, where)
    raw = {} if raw is None else raw
    if not isinstance(raw, Mapping):
        raise parser.fail(f"expected a dict of options, got {type(raw).__name__}", f"options are {', '.join(KNOWN_OPTIONS)}")
    for key in raw:
        if key not in KNOWN_OPTIONS:
            raise parser.fail(f"unknown option {key!r}", _suggest(str(key), KNOWN_OPTIONS))
    options = ExploreOptions(fixed=[DEFAULT_FIXED] * len(arg_names))
    if "domain" in raw:
        options.domain = parser.domain(raw["domain"])
    if "sweep" in raw:
        options.sweep = parser.sweep(raw["sweep"])
    if "fixed" in raw:
        options.fixed = parser.fixed(raw["fixed"])
        options.fixed_given = parser.fixed_given(raw["fixed"])
    if "constants" in raw:
        options.constants = parser.constants(raw["constants"], options.sweep)
        for index, value in options.constants.items():
            options.fixed[index] = value
    if "compare" in raw:
        options.compare = parser.compare(raw["compare"])
    if "inputs" in raw:
        options.inputs = parser.inputs(raw["inputs"])
    if "elementwise" in raw:
        if not isinstance(raw["elementwise"], bool):
            raise parser.fail(f"'elementwise' must be True or False, got {raw['elementwise']!r}", "write \"elementwise\": False")
        options.elementwise = raw["elementwise"]
    return options
