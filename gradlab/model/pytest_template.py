"""The code of an exported test file (:mod:`gradlab.model.export_test`), section by section.

Each section is plain Python for the user's repository: torch and pytest
only, lines under 100 characters.  It relies on the names the header
defines: ``FUNCTION_FILE``, ``FUNCTIONS``, ``OPS``, ``SEED``, ``SHAPE``,
``DTYPE``, ``CHECK``, ``UNDEFINED_GRAD``, ``FIXED``.  ``$``-names in
:data:`TRANSFORMS` are filled in by the exporter.
"""

IMPORTS = """
import importlib.util
import inspect
import os
import sys
from collections.abc import Mapping

import pytest
import torch
"""

#: Loading the file and drawing the inputs, as gradlab.core.loading and gradlab.core.invoke do.
HELPERS = '''
def _load(path):
    """Run the function file as gradlab does: a module of its own, its folder on sys.path."""
    stem = os.path.splitext(os.path.basename(path))[0]
    stem = "".join(c if c.isalnum() else "_" for c in stem)
    spec = importlib.util.spec_from_file_location(f"function_file_{stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    sys.path.insert(0, os.path.dirname(path))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(os.path.dirname(path))
    return module


MODULE = _load(os.path.normpath(FUNCTION_FILE))


def function(name):
    """What calls the Function: ``cls.apply``, or the custom op itself."""
    value = getattr(MODULE, name)
    return value.apply if isinstance(value, type) else value


def _arg_names(value):
    """The forward arguments: positional, without defaults, minus ctx."""
    if isinstance(value, type):
        params = list(inspect.signature(value.forward).parameters.values())
        if value.setup_context is torch.autograd.Function.setup_context:
            params = params[1:]  # ctx
    else:  # a custom op: its Python implementation
        params = list(inspect.signature(value._init_fn).parameters.values())
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    names = [p.name for p in params if p.kind in positional and p.default is p.empty]
    return names or [p.name for p in params if p.kind is p.VAR_POSITIONAL][:1]


def _explore(name, arg_names):
    """EXPLORE[name]'s domain, sweep, fixed, positions it fixes, constants and inputs."""
    raw = (getattr(MODULE, "EXPLORE", None) or {}).get(name) or {}
    count = len(arg_names)
    sweep = raw.get("sweep", 0)
    sweep = arg_names.index(sweep) if isinstance(sweep, str) else sweep
    fixed, given = [1.0] * count, set()
    if "fixed" in raw:
        value = raw["fixed"]
        if isinstance(value, Mapping):
            for key, number in value.items():
                fixed[arg_names.index(key)] = float(number)
                given.add(arg_names.index(key))
        else:
            try:
                values = list(value)
            except TypeError:  # one number for every argument
                values = [value] * count
            fixed, given = [float(v) for v in values], set(range(count))
    for key, number in FIXED.items():
        if key in arg_names:
            fixed[arg_names.index(key)] = float(number)
            given.add(arg_names.index(key))
    constants = {arg_names.index(k): float(v) for k, v in (raw.get("constants") or {}).items()}
    domain = tuple(float(v) for v in raw.get("domain", (-5.0, 5.0)))
    return domain, sweep, fixed, given, constants, raw.get("inputs")


def make_inputs(name, dtype=DTYPE, shape=SHAPE, seed=SEED):
    """The arguments gradlab checks ``name`` with.

    The ``inputs`` option (after torch.manual_seed(seed)), or tensors drawn
    uniformly from ``domain``; an argument whose ``fixed`` value the file sets
    (other than the swept one) is drawn within 10 % of it (0.1 around 0).  A
    constant is a 0-d tensor that does not require grad.  Floating-point
    tensors are cast to ``dtype``; all of them require grad unless ``inputs``
    marked some.
    """
    arg_names = _arg_names(getattr(MODULE, name))
    domain, sweep, fixed, given, constants, inputs = _explore(name, arg_names)
    generator = torch.Generator().manual_seed(seed)
    if inputs is not None:
        torch.manual_seed(seed)
        made = inputs(tuple(shape), dtype, "cpu")
        raw = [made] if isinstance(made, torch.Tensor) else list(made)
    else:
        raw = []
        for index in range(len(arg_names)):
            low, high = domain
            if index != sweep and index in given and index not in constants:
                half_width = 0.1 * abs(fixed[index]) if fixed[index] else 0.1
                low, high = fixed[index] - half_width, fixed[index] + half_width
            drawn = torch.empty(shape, dtype=torch.float64)
            raw.append(drawn.uniform_(low, high, generator=generator))
    raw = [
        torch.tensor(constants[i], dtype=torch.float64) if i in constants else arg
        for i, arg in enumerate(raw)
    ]
    marked = any(isinstance(arg, torch.Tensor) and arg.requires_grad for arg in raw)
    arguments = []
    for index, arg in enumerate(raw):
        if isinstance(arg, torch.Tensor):
            wanted = arg.requires_grad if marked else arg.is_floating_point()
            arg = arg.detach()
            if arg.is_floating_point():
                arg = arg.to(dtype)
            arg.requires_grad_(wanted and index not in constants)
        arguments.append(arg)
    return tuple(arguments)
'''

GRADCHECK = '''
@pytest.mark.parametrize("name", FUNCTIONS)
def test_gradcheck(name):
    inputs = make_inputs(name)
    assert torch.autograd.gradcheck(
        function(name), inputs, check_undefined_grad=UNDEFINED_GRAD, **CHECK
    )
'''

GRADGRADCHECK = '''
def _tensors(output):
    return [output] if isinstance(output, torch.Tensor) else list(output)


def _double_backward_refusal(fn, inputs):
    """PyTorch's reason backward cannot be differentiated again (@once_differentiable), or None."""
    diff = [a for a in inputs if isinstance(a, torch.Tensor) and a.requires_grad]
    outputs = [o for o in _tensors(fn(*inputs)) if isinstance(o, torch.Tensor)]
    out = next((o for o in outputs if o.is_floating_point() or o.is_complex()), outputs[0])
    if not out.requires_grad:
        return None
    seed = torch.ones_like(out, requires_grad=True)
    try:
        grads = torch.autograd.grad(out, diff, seed, create_graph=True, allow_unused=True)
    except Exception:  # a first-order failure is gradcheck's to report
        return None
    connected = [g for g in grads if g is not None]
    for grad in connected:
        if grad.requires_grad and grad.grad_fn is not None:
            reached = torch.autograd.grad(grad.sum(), seed, retain_graph=True, allow_unused=True)
            if reached[0] is not None:
                return None
    if not connected or connected[0].grad_fn is None:
        return None
    try:  # the node of a once_differentiable result raises PyTorch's reason
        connected[0].grad_fn(torch.ones_like(connected[0]))
    except RuntimeError as exc:
        return str(exc).strip().splitlines()[0]
    return None


def _grad_outputs(fn, inputs):
    """gradgradcheck's grad_outputs, as gradlab draws them: uniform in [-1, 1) from the seed."""
    generator = torch.Generator().manual_seed(SEED)
    made = []
    for out in _tensors(fn(*inputs)):
        if isinstance(out, torch.Tensor) and out.requires_grad:
            uniform = torch.rand(out.shape, dtype=torch.float64, generator=generator) * 2 - 1
            dtype = out.dtype if out.is_floating_point() or out.is_complex() else torch.float64
            made.append(uniform.to(dtype).requires_grad_(True))
    return tuple(made)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_gradgradcheck(name):
    fn, inputs = function(name), make_inputs(name)
    refusal = _double_backward_refusal(fn, inputs)
    if refusal:
        pytest.skip(f"double backward is not supported: {refusal}")
    assert torch.autograd.gradgradcheck(fn, inputs, _grad_outputs(fn, inputs), **CHECK)
'''

FORWARD_AD = '''
@pytest.mark.parametrize("name", FUNCTIONS)
def test_forward_ad(name):
    value = getattr(MODULE, name)
    if not isinstance(value, type) or value.jvp is torch.autograd.Function.jvp:
        pytest.skip("not supported: the Function defines no jvp staticmethod")
    assert torch.autograd.gradcheck(
        function(name),
        make_inputs(name),
        check_forward_ad=True,
        check_backward_ad=False,
        check_undefined_grad=False,
        **CHECK,
    )
'''

BATCHED_GRAD = '''
def _has_vmap_rule(value):
    if not isinstance(value, type):  # a custom op
        return getattr(value, "_vmap_fn", None) is not None
    generated = bool(getattr(value, "generate_vmap_rule", False))
    return generated or value.vmap is not torch.autograd.Function.vmap


@pytest.mark.parametrize("name", FUNCTIONS)
def test_batched_grad(name):
    if not _has_vmap_rule(getattr(MODULE, name)):
        pytest.skip("not supported: the Function has no vmap rule")
    inputs = make_inputs(name)
    assert torch.autograd.gradcheck(
        function(name), inputs, check_batched_grad=True, check_undefined_grad=False, **CHECK
    )
'''

OPCHECK = '''
@pytest.mark.parametrize("name", OPS)
def test_opcheck(name):
    torch.library.opcheck(getattr(MODULE, name), make_inputs(name))
'''

TRANSFORMS = '''
TRANSFORMS = $NAMES
#: What PyTorch says when it refuses a transform for a Function (not a wrong answer).
REFUSALS = (
    "functorch transforms",
    "must override the setup_context staticmethod",
    "does not have vmap support",
    "override the vmap staticmethod or set generate_vmap_rule=True",
    "must implement the jvp function",
    "both generate_vmap_rule=True and an overridden vmap",
    "calling .item() on a Tensor",
    "data-dependent control flow",
    "doesn't have storage",
    "Batching rule not implemented",
    "Trying to use forward AD with",
)


class _StandInContext:
    """A ctx for forward outside apply: it takes what a real one does and keeps nothing."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = tuple(needs_input_grad)
        self.saved_tensors = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors):
        self.saved_tensors = tensors

    def save_for_forward(self, *tensors):
        pass

    def mark_dirty(self, *tensors):
        pass

    def mark_non_differentiable(self, *tensors):
        pass

    def set_materialize_grads(self, value):
        self.materialize_grads = value


def autograd_of_forward(name):
    """The Function's forward code under plain autograd; its own backward and jvp unused."""
    value = getattr(MODULE, name)

    def call(*args):
        args = tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in args)
        if not isinstance(value, type):
            return value._init_fn(*args)
        if value.setup_context is not torch.autograd.Function.setup_context:
            return value.forward(*args)
        needs = [isinstance(a, torch.Tensor) and a.requires_grad for a in args]
        return value.forward(_StandInContext(needs), *args)

    return call


def _floating(output):
    outputs = (output,) if isinstance(output, torch.Tensor) else tuple(output)
    return tuple(o for o in outputs if isinstance(o, torch.Tensor) and o.is_floating_point())


def _samples(inputs, diff):
    """vmap's batch: the inputs, each differentiated tensor's elements reversed, then rolled."""

    def varied(permute):
        return tuple(
            permute(a.flatten()).reshape(a.shape) if i in diff else a for i, a in enumerate(inputs)
        )

    return [inputs, varied(lambda t: t.flip(0)), varied(lambda t: t.roll(1))]


def _transformed(transform, fn, inputs, diff, tangents):
    """``transform`` of ``fn`` at ``inputs``: a list of tensors (of floating-point outputs)."""
    if transform == "vmap":
        samples = _samples(inputs, diff)
        batched = [
            torch.stack([s[i] for s in samples]) if i in diff else a for i, a in enumerate(inputs)
        ]
        in_dims = tuple(0 if i in diff else None for i in range(len(inputs)))
        return list(torch.func.vmap(lambda *a: _floating(fn(*a)), in_dims=in_dims)(*batched))

    def on_primals(*primals):
        args = list(inputs)
        for index, primal in zip(diff, primals):
            args[index] = primal
        return _floating(fn(*args))

    primals = tuple(inputs[i] for i in diff)
    argnums = tuple(range(len(primals)))
    if transform == "jvp":
        return list(torch.func.jvp(on_primals, primals, tangents)[1])
    if transform == "hessian":
        total = lambda *p: sum(o.sum() for o in on_primals(*p))  # noqa: E731
        table = torch.func.hessian(total, argnums=argnums)(*primals)
    else:
        table = getattr(torch.func, transform)(on_primals, argnums=argnums)(*primals)
    return [block for row in table for block in row]


def _per_sample(fn, inputs, diff):
    with torch.no_grad():
        outputs = [_floating(fn(*sample)) for sample in _samples(inputs, diff)]
    return [torch.stack(column) for column in zip(*outputs)]


@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_transform(name, transform):
    """torch.func's transform of the Function against the same of its forward under autograd."""
    made = make_inputs(name, torch.float64)
    diff = [i for i, a in enumerate(made) if isinstance(a, torch.Tensor) and a.requires_grad]
    inputs = tuple(a.detach() if isinstance(a, torch.Tensor) else a for a in made)
    if transform != "vmap" and not diff:
        pytest.skip("no argument requires grad: nothing to differentiate")
    generator = torch.Generator().manual_seed(SEED)
    tangents = tuple(
        torch.randn(inputs[i].shape, dtype=torch.float64, generator=generator) for i in diff
    )
    try:
        actual = _transformed(transform, function(name), inputs, diff, tangents)
    except Exception as exc:
        if any(text in str(exc) for text in REFUSALS):
            refusal = str(exc).strip().splitlines()[0]
            pytest.skip(f"PyTorch refuses {transform} for {name}: {refusal}")
        raise
    reference = "the forward called per sample" if transform == "vmap" else "autograd of forward"
    try:
        if transform == "vmap":
            expected = _per_sample(function(name), inputs, diff)
        else:
            expected = _transformed(transform, autograd_of_forward(name), inputs, diff, tangents)
    except Exception as exc:
        pytest.skip(f"nothing to compare with: {reference} raised {type(exc).__name__}: {exc}")
    assert len(actual) == len(expected), f"{len(actual)} results, {reference} {len(expected)}"
    for got, wanted in zip(actual, expected):
        torch.testing.assert_close(
            got,
            wanted,
            rtol=$RTOL,
            atol=$ATOL,
            equal_nan=True,
            msg=lambda text: f"{transform} disagrees with {reference}: {text}",
        )
'''
