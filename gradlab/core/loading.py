"""Load a function file (from disk or an unsaved buffer) and find its Functions."""

from __future__ import annotations

import difflib
import inspect
import linecache
import os
import re
import sys
import types
from dataclasses import dataclass, field

from torch._library.custom_ops import OPDEFS, CustomOpDef
from torch.autograd import Function

from gradlab.core.capture import captured_output
from gradlab.core.explore import ExploreOptions, explore_lines, parse_options
from gradlab.core.whereabouts import entering
from gradlab.model.problems import UserCodeError, problem_from_exception
from gradlab.model.results import Captured, FileInfo, FunctionInfo, Location, Problem
from gradlab.model.source_text import read_source

#: ``FunctionSpec.kind`` of a ``torch.autograd.Function`` subclass and of a ``torch.library.custom_op``.
FUNCTION, CUSTOM_OP = "Function", "custom_op"


@dataclass
class FunctionSpec:
    """One explorable Function: a ``torch.autograd.Function`` class or a ``torch.library.custom_op``, its forward arguments and its options.

    For a custom op, ``cls`` is None, ``op`` the ``CustomOpDef`` and ``op_name``
    the Python variable it is bound to (its name in gradlab).
    """

    cls: type | None
    filename: str
    lineno: int
    arg_names: list[str]
    uses_setup_context: bool
    options: ExploreOptions
    op: object | None = None
    op_name: str = ""

    @property
    def kind(self) -> str:
        return CUSTOM_OP if self.op is not None else FUNCTION

    @property
    def name(self) -> str:
        return self.op_name if self.op is not None else self.cls.__name__

    @property
    def apply(self):
        """What calls it: ``cls.apply``, or the custom op itself."""
        return self.op if self.op is not None else self.cls.apply

    def _method(self, method: str):
        if self.op is None:
            return getattr(self.cls, method, None)
        registered = {"forward": "_init_fn", "backward": "_backward_fn", "setup_context": "_setup_context_fn"}.get(method)
        return getattr(self.op, registered, None) if registered else None

    def method_location(self, method: str) -> Location | None:
        """Where ``method`` (e.g. ``"backward"``) of this Function is defined in the user's file (a custom op: its registered function)."""
        function = inspect.unwrap(self._method(method) or (lambda: None))
        code = getattr(function, "__code__", None)
        if code is None or os.path.abspath(code.co_filename) != self.filename:
            return None
        return Location(self.filename, code.co_firstlineno)

    def info(self) -> FunctionInfo:
        """Describe this Function with plain values."""
        doc = inspect.getdoc(self.cls if self.op is None else self.op._init_fn)
        inherited = doc == inspect.getdoc(Function)
        return FunctionInfo(
            name=self.name,
            lineno=self.lineno,
            description="" if not doc or inherited else doc.splitlines()[0],
            arg_names=list(self.arg_names),
            uses_setup_context=self.uses_setup_context,
            domain=self.options.domain,
            sweep=self.options.sweep,
            fixed=list(self.options.fixed),
            elementwise=self.options.elementwise,
            compare=list(self.options.compare),
            has_inputs=self.options.inputs is not None,
            kind=self.kind,
        )


@dataclass
class LoadedFile:
    """A function file after its module ran."""

    path: str
    module: types.ModuleType
    functions: list[FunctionSpec]
    captured: Captured = field(default_factory=Captured)

    @property
    def description(self) -> str:
        doc = (self.module.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""

    def function(self, name: str | None) -> FunctionSpec:
        """Return the Function called ``name``, or the first one when ``name`` is None."""
        if name is None:
            return self.functions[0]
        for spec in self.functions:
            if spec.name == name:
                return spec
        names = [s.name for s in self.functions]
        close = difflib.get_close_matches(name, names, n=1)
        raise UserCodeError(
            Problem(
                kind="no_function",
                message=f"{self.path}: no Function called {name!r}",
                hint=(f"did you mean {close[0]!r}? " if close else "") + f"the file defines {', '.join(names)}",
            )
        )

    def info(self) -> FileInfo:
        return FileInfo(self.path, self.description, [s.info() for s in self.functions], self.captured)


def _module_name(path: str) -> str:
    stem = re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0]) or "untitled"
    return f"function_file_{stem}"


def _forward_arguments(cls: type, uses_setup_context: bool) -> list[str]:
    """The forward arguments gradlab passes: positional, without defaults, minus ctx.

    ``forward(ctx, *xs)`` takes one argument, named ``xs``, unless ``inputs`` says otherwise.
    """
    params = list(inspect.signature(cls.forward).parameters.values())
    if not uses_setup_context and params:
        params = params[1:]  # ctx
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    if not names:
        names = [p.name for p in params if p.kind is p.VAR_POSITIONAL][:1]
    return names


def _defined_functions(module: types.ModuleType) -> list[type]:
    """Function subclasses defined (not imported) in ``module``, in definition order."""
    found = []
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, Function)
            and value.__module__ == module.__name__
            and value not in found
        ):
            found.append(value)
    return found


def _defined_custom_ops(module: types.ModuleType) -> list[tuple[str, object]]:
    """``torch.library.custom_op`` operators defined (not imported) in ``module``, by variable name, in definition order."""
    found, seen = [], set()
    for name, value in vars(module).items():
        if isinstance(value, CustomOpDef) and getattr(value._init_fn, "__module__", None) == module.__name__ and id(value) not in seen:
            seen.add(id(value))
            found.append((name, value))
    return found


def _op_files() -> dict[str, str]:
    """The file whose code defined each custom op alive in this process, by qualified name (``"mylib::op"``)."""
    files = {}
    for name, op in list(OPDEFS.items()):
        code = getattr(inspect.unwrap(op._init_fn), "__code__", None)
        files[name] = os.path.abspath(code.co_filename) if code else ""
    return files


def _op_clash(path: str, name: str, op, before: dict[str, str]) -> str:
    """A warning when ``op`` took over an op name another live file defined (custom op names are global to the process), or ``""``."""
    other = before.get(op._qualname)
    if not other or other == path:  # new, or this file run again after an edit: torch.library replaces its own op
        return ""
    namespace = re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0])
    return (
        f"{path}: custom op {op._qualname} ({name}) is also defined by {other}, run earlier in this process: op names are"
        f" global, so that file's op now runs this file's code; give this one a name of its own (e.g. \"{namespace}::{op._name}\")"
    )


def _op_arguments(op) -> list[str]:
    params = inspect.signature(op._init_fn).parameters.values()
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]


def _class_line(cls: type, source_lines: list[str]) -> int:
    pattern = re.compile(rf"^\s*class\s+{re.escape(cls.__name__)}\b")
    for number, line in enumerate(source_lines, start=1):
        if pattern.match(line):
            return number
    return 0


def load_function_file(path: str, text: str | None = None) -> LoadedFile:
    """Run a function file and return its Functions.

    Parameters
    ----------
    path : str
        The file's path; tracebacks name it.
    text : str, optional
        An unsaved buffer to run instead of the file on disk.  It is registered
        with :mod:`linecache`, so tracebacks show the buffer's lines.

    Raises
    ------
    UserCodeError
        When the file cannot be read, does not parse, raises while loading,
        defines no Function, or has invalid ``EXPLORE`` options.

    Notes
    -----
    A ``torch.library.custom_op`` is registered under its qualified name for
    the whole process.  Running the file again (after an edit) registers it
    again, which torch.library allows: the new definition replaces the old
    one, schema, fake and autograd included.  Another file defining the same
    name takes it over from the first too, which gets a load warning.
    """
    path = os.path.abspath(path)
    source = read_source(path) if text is None else text
    lines = source.splitlines(keepends=True)
    linecache.cache[path] = (len(source), None, lines, path)
    try:
        code = compile(source, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        raise UserCodeError(problem_from_exception(exc, path, "syntax", "parsing")) from None

    module = types.ModuleType(_module_name(path))
    module.__file__ = path
    # Only a saved file's own folder goes on sys.path (its sibling modules import as they would in
    # the user's project); an untitled buffer's folder does not, so nothing planted beside it runs.
    folder = os.path.dirname(path) if os.path.isfile(path) else None
    entering(path)
    ops_before = _op_files()
    with captured_output() as captured:
        sys.modules[module.__name__] = module
        if folder is not None:
            sys.path.insert(0, folder)
        try:
            exec(code, module.__dict__)
        except BaseException as exc:  # noqa: BLE001 - user code may raise anything, SystemExit included
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise UserCodeError(problem_from_exception(exc, path, "load", "loading the file")) from None
        finally:
            if folder is not None:
                sys.path.remove(folder)

    classes = _defined_functions(module)
    ops = _defined_custom_ops(module)
    if not classes and not ops:
        raise UserCodeError(
            Problem(
                "no_function",
                f"{path}: defines no torch.autograd.Function",
                hint="define a class that inherits from torch.autograd.Function, with static forward and backward methods"
                " (or an operator with torch.library.custom_op)",
            )
        )
    explore = getattr(module, "EXPLORE", {}) or {}
    where = explore_lines(source)
    explore_location = Location(path, where.get("", 0))
    if not isinstance(explore, dict):
        raise UserCodeError(Problem("options", f"{explore_location}: EXPLORE must be a dict keyed by class name", location=explore_location))
    names = [cls.__name__ for cls in classes] + [name for name, _op in ops]
    for key in explore:
        if key not in names:
            close = difflib.get_close_matches(str(key), names, n=1)
            captured.warnings.append(
                f"{path}:{where.get(key, where.get('', 0))}: EXPLORE names {key!r}, which is not a Function in this file"
                + (f"; did you mean {close[0]!r}?" if close else "")
            )

    specs = []
    for cls in classes:
        uses_setup_context = cls.setup_context is not Function.setup_context
        arg_names = _forward_arguments(cls, uses_setup_context)
        option_location = Location(path, where.get(cls.__name__, where.get("", 0)))
        options = parse_options(cls.__name__, explore.get(cls.__name__), arg_names, option_location)
        specs.append(FunctionSpec(cls, path, _class_line(cls, lines), arg_names, uses_setup_context, options))
    captured.warnings += [clash for name, op in ops if (clash := _op_clash(path, name, op, ops_before))]
    for name, op in ops:
        arg_names = _op_arguments(op)
        option_location = Location(path, where.get(name, where.get("", 0)))
        options = parse_options(name, explore.get(name), arg_names, option_location)
        line = getattr(getattr(op._init_fn, "__code__", None), "co_firstlineno", 0)
        specs.append(FunctionSpec(None, path, line, arg_names, True, options, op=op, op_name=name))
    return LoadedFile(path, module, specs, captured)


