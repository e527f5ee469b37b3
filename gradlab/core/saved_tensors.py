"""Find tensors forward saves for backward that cut double backward off from the inputs.

``apply`` runs forward with autograd switched off.  A tensor saved for
backward therefore carries history only when it *is* one of forward's inputs
or outputs: PyTorch reconnects those to the graph.  Anything else forward
computed and saved (``tanh_inner = torch.tanh(...)``), including a view or a
detached copy of an input, reaches backward as a constant, so backward's use
of it has no derivative and ``gradgradcheck`` fails although the first
derivative is exact.

:func:`find_saved_intermediates` runs the Function once while intercepting
what forward (or ``setup_context``) saves, both through
``ctx.save_for_backward`` and as ``ctx`` attributes, matches each tensor
against the inputs and outputs by identity, and names the culprits as they
are written in the user's source.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import inspect
import linecache
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch
from torch.autograd import Function
from torch.autograd.function import once_differentiable

from gradlab.core.capture import captured_output
from gradlab.core.invoke import StandInContext, apply_function, make_inputs
from gradlab.core.loading import FunctionSpec

#: How to fix a saved intermediate, in the order people usually prefer.
FIX = "recompute it in backward from the inputs, save an output instead, or mark backward @once_differentiable"

#: How a tensor was handed to backward.
SAVE_FOR_BACKWARD = "save_for_backward"
CTX_ATTRIBUTE = "ctx attribute"

# Every once_differentiable wrapper shares this code object.
_ONCE_DIFFERENTIABLE_CODE = once_differentiable(lambda ctx: None).__code__
# Attributes a StandInContext sets itself; not the user's.
_STAND_IN_ATTRIBUTES = frozenset(vars(StandInContext(())))


@dataclass
class SavedIntermediate:
    """A tensor forward saves for backward that is neither an input nor an output.

    Attributes
    ----------
    name : str
        As written in the source: the argument of ``save_for_backward``
        (``"tanh_inner"``, ``"x.detach()"``) or the attribute (``"ctx.t"``).
    filename : str
        The file the saving line is in.
    lineno : int
        The line that saves it (the ``save_for_backward`` call or the
        ``ctx.<name> = ...`` assignment); 0 when unknown.
    defined_lineno : int
        The line where a saved plain name was last assigned before it was
        saved; 0 when it is not a plain name or was not found.
    saved_with : str
        :data:`SAVE_FOR_BACKWARD` or :data:`CTX_ATTRIBUTE`.
    method : str
        Where it is saved: ``"forward"``, or ``"setup_context"``.
    relation : str
        ``""`` for a tensor computed there; for a view or detached copy, the
        input or output whose memory it shares
        (``"a view or detached copy of input 'x'"``).
    fix : str
        How to fix it.
    """

    name: str
    filename: str
    lineno: int
    defined_lineno: int = 0
    saved_with: str = SAVE_FOR_BACKWARD
    method: str = "forward"
    relation: str = ""
    fix: str = FIX

    @property
    def explanation(self) -> str:
        """One sentence: which tensor, which line, why it breaks double backward, and the fix."""
        where = f"line {self.lineno}" if self.lineno else "line unknown"
        if self.defined_lineno and self.defined_lineno != self.lineno:
            where += f", computed at line {self.defined_lineno}"
        relation = f", {self.relation}," if self.relation else ","
        return (
            f"{self.method} saves {self.name} ({where}){relation} which is neither an input nor an output of forward: "
            f"{self.method} runs without autograd recording, so {self.name} carries no history and backward's use of it "
            f"has no derivative; {self.fix}"
        )


@dataclass
class _Saved:
    """One tensor seen on its way to backward, keyed so two runs of forward can be matched."""

    tensor: object
    key: tuple
    name: str
    filename: str
    lineno: int
    saved_with: str


@dataclass
class _Record:
    """What one run of forward saved."""

    saves: list[_Saved] = field(default_factory=list)  # the last save_for_backward call (PyTorch keeps only that)
    attributes: list[_Saved] = field(default_factory=list)
    inputs: tuple = ()
    output: object = None

    def everything(self) -> list[_Saved]:
        return self.saves + self.attributes


def find_saved_intermediates(spec: FunctionSpec, inputs: tuple | None = None) -> list[SavedIntermediate]:
    """Tensors forward saves for backward that break double backward.

    Parameters
    ----------
    spec : FunctionSpec
    inputs : tuple, optional
        Forward's arguments; by default :func:`~gradlab.core.invoke.make_inputs`
        (float64, requiring grad).

    Returns
    -------
    list of SavedIntermediate
        One per floating-point tensor that reaches backward through
        ``ctx.save_for_backward`` or a ``ctx`` attribute, is not one of
        forward's inputs or outputs (the same tensor object), has no autograd
        history, and would have depended on an input that requires grad had
        forward run under autograd (or shares memory with an input or
        output: a view, ``.detach()`` or ``.data``).  Empty for Functions that
        save nothing of the kind, that are not ``torch.autograd.Function``
        subclasses (custom ops: there is no class to record what their
        ``setup_context`` saves through, so ``gradgradcheck``'s verdict
        stands unexplained), or whose backward is ``@once_differentiable``
        (they declare double backward unsupported already).  Whether backward uses
        the tensor differentiably is not checked: callers consult this when
        ``gradgradcheck`` failed.

    Raises
    ------
    UserCodeError
        When forward (or ``setup_context``) raises, as
        :func:`~gradlab.core.invoke.apply_function` reports it.
    """
    if not _is_function_class(spec.cls) or _is_once_differentiable(spec.cls.backward):
        return []
    if inputs is None:
        inputs = make_inputs(spec)
    with captured_output():
        record = _record_apply(spec, inputs)
        if not record.everything():
            return []
        carries_history = _history_under_autograd(spec, inputs)
    outputs = _tensors_of(record.output)
    found = []
    for saved in record.everything():
        if not _breaks_double_backward(saved, carries_history, record.inputs, outputs):
            continue
        found.append(_describe(spec, saved, *_relation(saved.tensor, record.inputs, outputs, spec.arg_names)))
    return found


# --- running forward --------------------------------------------------------------------------


def _is_function_class(cls) -> bool:
    return isinstance(cls, type) and issubclass(cls, Function)


def _is_once_differentiable(backward) -> bool:
    return getattr(backward, "__code__", None) is _ONCE_DIFFERENTIABLE_CODE


def _record_apply(spec: FunctionSpec, inputs: tuple) -> _Record:
    """Run ``spec.cls.apply`` once through a subclass that records what forward saves."""
    record = _Record(inputs=tuple(inputs))
    probe = _recording_subclass(spec, record)
    apply_function(dataclasses.replace(spec, cls=probe))(*inputs)
    return record


def _recording_subclass(spec: FunctionSpec, record: _Record) -> type:
    """A subclass of the user's Function whose forward (or setup_context) records into ``record``.

    Backward, jvp and vmap are inherited untouched; the class keeps the
    user's name, so PyTorch's messages still name it.
    """
    user = spec.cls
    if spec.uses_setup_context:

        def setup_context(ctx, inputs, output):
            record.output = output
            with _recording(ctx, record, spec.filename):
                user.setup_context(ctx, inputs, output)

        body = {"setup_context": staticmethod(setup_context)}
    else:

        def forward(ctx, *args):
            with _recording(ctx, record, spec.filename):
                output = user.forward(ctx, *args)
            record.output = output
            return output

        body = {"forward": staticmethod(forward)}
    return type(user.__name__, (user,), {**body, "__module__": user.__module__, "__qualname__": user.__qualname__})


@contextlib.contextmanager
def _recording(ctx, record: _Record, filename: str) -> Iterator[None]:
    """Intercept ``ctx.save_for_backward`` and note the attributes the block sets on ``ctx``.

    The interceptor is an instance attribute, so it shadows the class's
    method for this ctx only, and is removed afterwards.
    """
    original = type(ctx).save_for_backward
    before = {key: value for key, value in vars(ctx).items() if key not in _STAND_IN_ATTRIBUTES}

    def save_for_backward(*tensors):
        record.saves = _saves_of_call(tensors, sys._getframe(1))
        return original(ctx, *tensors)

    ctx.save_for_backward = save_for_backward
    try:
        yield
    finally:
        del ctx.save_for_backward
        record.attributes = _new_attributes(ctx, before, filename)


def _saves_of_call(tensors: tuple, caller) -> list[_Saved]:
    """The tensors of one ``save_for_backward`` call, named from the call's source."""
    filename, lineno = caller.f_code.co_filename, caller.f_lineno
    names = _save_call_arguments(filename, lineno, len(tensors))
    return [
        _Saved(
            tensor, (SAVE_FOR_BACKWARD, os.path.abspath(filename), lineno, position), name, filename, lineno, SAVE_FOR_BACKWARD
        )
        for position, (tensor, name) in enumerate(zip(tensors, names))
    ]


def _new_attributes(ctx, before: dict, filename: str) -> list[_Saved]:
    """Tensors that forward set (or replaced) as attributes of ``ctx``, one entry per tensor."""
    found = []
    for attribute, value in vars(ctx).items():
        if attribute in _STAND_IN_ATTRIBUTES or (attribute in before and before[attribute] is value):
            continue
        for suffix, tensor in _tensors_in_attribute(value):
            name = f"ctx.{attribute}{suffix}"
            found.append(_Saved(tensor, (CTX_ATTRIBUTE, attribute, suffix), name, filename, 0, CTX_ATTRIBUTE))
    return found


def _tensors_in_attribute(value) -> list[tuple[str, torch.Tensor]]:
    """``("", t)`` for a tensor; ``("[i]", t)`` / ``("['k']", t)`` for tensors in a tuple, list or dict."""
    if isinstance(value, torch.Tensor):
        return [("", value)]
    if isinstance(value, (tuple, list)):
        return [(f"[{i}]", item) for i, item in enumerate(value) if isinstance(item, torch.Tensor)]
    if isinstance(value, dict):
        return [(f"[{key!r}]", item) for key, item in value.items() if isinstance(item, torch.Tensor)]
    return []


def _history_under_autograd(spec: FunctionSpec, inputs: tuple) -> dict[tuple, bool] | None:
    """For each saved tensor's key: whether it requires grad when forward runs under autograd.

    This is the history ``apply`` throws away.  ``None`` when forward cannot
    run under autograd (numpy inside, in-place on an input it cannot clone):
    then nothing is known and every saved intermediate counts.
    """
    record = _Record()
    ctx = StandInContext([isinstance(a, torch.Tensor) and a.requires_grad for a in inputs])
    args = tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in inputs)
    try:
        with torch.enable_grad():
            if spec.uses_setup_context:
                output = spec.cls.forward(*args)
                with _recording(ctx, record, spec.filename):
                    spec.cls.setup_context(ctx, args, output)
            else:
                with _recording(ctx, record, spec.filename):
                    spec.cls.forward(ctx, *args)
    except Exception:  # noqa: BLE001 - user code; apply already ran it successfully
        return None
    return {saved.key: bool(getattr(saved.tensor, "requires_grad", False)) for saved in record.everything()}


# --- judging what was saved -------------------------------------------------------------------


def _tensors_of(output) -> list[torch.Tensor]:
    if isinstance(output, torch.Tensor):
        return [output]
    if isinstance(output, (tuple, list)):
        return [item for item in output if isinstance(item, torch.Tensor)]
    return []


def _is_one_of(tensor, candidates) -> bool:
    return any(tensor is candidate for candidate in candidates)


def _breaks_double_backward(saved: _Saved, carries_history: dict[tuple, bool] | None, inputs: tuple, outputs: list) -> bool:
    """Whether ``saved`` reaches backward as a constant standing for something that depends on the inputs."""
    tensor = saved.tensor
    if not isinstance(tensor, torch.Tensor) or not (tensor.is_floating_point() or tensor.is_complex()):
        return False  # masks, indices and non-tensors have no derivative to lose
    if _is_one_of(tensor, [a for a in inputs if isinstance(a, torch.Tensor)]) or _is_one_of(tensor, outputs):
        return False  # PyTorch reconnects saved inputs and outputs to the graph
    if tensor.grad_fn is not None:
        return False  # forward built it under enable_grad: it keeps its history
    differentiable = _differentiable_inputs(inputs)
    if differentiable and _memory_owner(tensor, differentiable, outputs) is not None:
        return True  # a view or detached copy of an input or output loses the link
    if carries_history is None:
        return True
    return carries_history.get(saved.key, True)


def _differentiable_inputs(inputs: tuple) -> list[torch.Tensor]:
    return [a for a in inputs if isinstance(a, torch.Tensor) and a.requires_grad]


def _memory_owner(tensor: torch.Tensor, inputs: list, outputs: list) -> tuple[str, int] | None:
    """``("input", i)`` or ``("output", i)`` whose storage ``tensor`` shares, or None."""
    for kind, candidates in (("input", inputs), ("output", outputs)):
        for index, candidate in enumerate(candidates):
            if _shares_storage(tensor, candidate):
                return kind, index
    return None


def _shares_storage(a: torch.Tensor, b: torch.Tensor) -> bool:
    try:
        return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr() and a.untyped_storage().nbytes() > 0
    except (RuntimeError, NotImplementedError):  # tensors without storage (sparse, some subclasses)
        return False


def _relation(tensor: torch.Tensor, inputs: tuple, outputs: list, arg_names: list[str]) -> tuple[str, str]:
    """``(relation, fix)`` for a saved intermediate: how it relates to the inputs and outputs, and what to do."""
    owner = _memory_owner(tensor, _differentiable_inputs(inputs), outputs)
    if owner is None:
        return "", FIX
    kind, index = owner
    if kind == "input":
        position = next(i for i, a in enumerate(inputs) if a is _differentiable_inputs(inputs)[index])
        label = f"input {arg_names[position]!r}" if position < len(arg_names) else f"input {position}"
    else:
        label = f"output {index}"
    fix = f"save {label} itself (take the view in backward), or mark backward @once_differentiable"
    return f"a view or detached copy of {label}", fix


def _describe(spec: FunctionSpec, saved: _Saved, relation: str, fix: str) -> SavedIntermediate:
    """Name and place ``saved`` in the user's source."""
    method = _saving_method(spec)
    name_of_method = "setup_context" if spec.uses_setup_context else "forward"
    if saved.saved_with == CTX_ATTRIBUTE:
        lineno = _attribute_assignment_line(method, saved.key[1]) or (method.lineno if method else 0)
        return SavedIntermediate(saved.name, spec.filename, lineno, 0, CTX_ATTRIBUTE, name_of_method, relation, fix)
    defined = _name_assignment_line(method, saved.name, saved.lineno) if method else 0
    return SavedIntermediate(saved.name, saved.filename, saved.lineno, defined, SAVE_FOR_BACKWARD, name_of_method, relation, fix)


# --- reading the source -----------------------------------------------------------------------


@dataclass
class _Method:
    """A method's definition in the user's source."""

    node: ast.FunctionDef
    ctx_name: str

    @property
    def lineno(self) -> int:
        return self.node.lineno


def _parse(filename: str) -> ast.Module | None:
    source = "".join(linecache.getlines(filename))
    try:
        return ast.parse(source) if source else None
    except SyntaxError:
        return None


def _saving_method(spec: FunctionSpec) -> _Method | None:
    """The ``def`` of forward (or setup_context), with the name its ctx parameter has there."""
    method = spec.cls.setup_context if spec.uses_setup_context else spec.cls.forward
    code = getattr(inspect.unwrap(method), "__code__", None)
    tree = _parse(code.co_filename) if code else None
    if tree is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == code.co_name:
            first_lines = {node.lineno, *(d.lineno for d in node.decorator_list)}
            if code.co_firstlineno in first_lines and node.args.args:
                return _Method(node, node.args.args[0].arg)
    return None


def _save_call_arguments(filename: str, lineno: int, count: int) -> list[str]:
    """Source text of the ``save_for_backward`` arguments in the call at ``lineno``, ``count`` of them."""
    tree = _parse(filename)
    calls = [
        node
        for node in (ast.walk(tree) if tree else ())
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "save_for_backward"
        and node.lineno <= lineno <= (node.end_lineno or node.lineno)
    ]
    if not calls:
        return [f"saved tensor {i}" for i in range(count)]
    call = min(calls, key=lambda node: (node.end_lineno or node.lineno) - node.lineno)
    return _spread_arguments(call.args, count)


def _spread_arguments(args: list[ast.expr], count: int) -> list[str]:
    """Names for ``count`` runtime arguments; a ``*rest`` argument gives ``rest[0]``, ``rest[1]``, ..."""
    names: list[str] = []
    for position, arg in enumerate(args):
        if isinstance(arg, ast.Starred):
            fixed_after = len(args) - position - 1
            spread = max(count - len(names) - fixed_after, 0)
            names += [f"{ast.unparse(arg.value)}[{i}]" for i in range(spread)]
        else:
            names.append(ast.unparse(arg))
    names += [f"saved tensor {i}" for i in range(len(names), count)]
    return names[:count]


def _attribute_assignment_line(method: _Method | None, attribute: str) -> int:
    """The last line in the method that assigns ``<ctx>.<attribute>``; 0 when there is none."""
    if method is None:
        return 0
    lines = [
        node.lineno
        for node in ast.walk(method.node)
        if isinstance(node, ast.Attribute)
        and isinstance(node.ctx, ast.Store)
        and node.attr == attribute
        and isinstance(node.value, ast.Name)
        and node.value.id == method.ctx_name
    ]
    return max(lines, default=0)


def _name_assignment_line(method: _Method, name: str, before: int) -> int:
    """The last line at or before ``before`` in the method that binds ``name`` (``parts`` for ``parts[1]``)."""
    name = name.split("[", 1)[0]
    if not name.isidentifier():
        return 0
    lines = [
        node.lineno
        for node in ast.walk(method.node)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id == name and node.lineno <= before
    ]
    return max(lines, default=0)
