"""Saved intermediates: tensors forward saves that are neither inputs nor outputs break double backward."""

import linecache
import warnings

import pytest
import torch

from gradlab.core.invoke import apply_function, make_inputs
from gradlab.core.loading import load_function_file
from gradlab.core.saved_tensors import CTX_ATTRIBUTE, FIX, SAVE_FOR_BACKWARD, find_saved_intermediates
from gradlab.model.problems import UserCodeError
from tests.helpers import builtin, data

FILE = data("saved_intermediates.py")


@pytest.fixture(scope="module")
def loaded():
    return load_function_file(FILE)


def spec_of(loaded, name):
    return loaded.function(name)


def line_of(text: str, within: str = "") -> int:
    """The number of the first line of the data file holding ``text``, after the line holding ``within``."""
    lines = linecache.getlines(FILE)
    start = next(i for i, line in enumerate(lines) if within in line)
    for number, line in enumerate(lines[start:], start=start + 1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {FILE}")


def gradgradcheck_passes(spec) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy example's saved_variables
        return torch.autograd.gradgradcheck(apply_function(spec), make_inputs(spec), raise_exception=False)


def test_gelu_saving_tanh_inner_fails_gradgradcheck_and_names_it(loaded):
    spec = spec_of(loaded, "GeluSavesTanh")
    inputs = make_inputs(spec)
    assert torch.autograd.gradcheck(apply_function(spec), inputs), "the first derivative is exact"
    assert not gradgradcheck_passes(spec), "PyTorch's own verdict"

    (found,) = find_saved_intermediates(spec, inputs)
    assert found.name == "tanh_inner"
    assert found.saved_with == SAVE_FOR_BACKWARD
    assert found.filename == spec.filename
    assert found.lineno == line_of("ctx.save_for_backward(x, tanh_inner)")
    assert found.defined_lineno == line_of("tanh_inner = torch.tanh(_inner(x))")
    assert found.fix == FIX
    assert "tanh_inner" in found.explanation and f"line {found.lineno}" in found.explanation
    assert "once_differentiable" in found.explanation


def test_the_fix_recomputing_in_backward_passes_and_finds_nothing(loaded):
    spec = spec_of(loaded, "GeluRecomputes")
    assert gradgradcheck_passes(spec)
    assert find_saved_intermediates(spec) == []


def test_once_differentiable_backward_has_nothing_to_fix(loaded):
    assert find_saved_intermediates(spec_of(loaded, "GeluOnceDifferentiable")) == []


@pytest.mark.parametrize("path", ["sigmoid.py", "exp_setup_context.py", "multiply_add.py", "linear_layer.py"])
def test_functions_saving_inputs_or_outputs_find_nothing(path):
    spec = load_function_file(builtin(path)).functions[0]
    assert gradgradcheck_passes(spec)
    assert find_saved_intermediates(spec) == []


@pytest.mark.parametrize("name", ["SigmoidSavesOutput", "SigmoidSavesInput", "Scale"])
def test_sigmoids_saving_their_output_or_input_find_nothing(name):
    spec = load_function_file(data("sigmoid_versions.py")).function(name)
    assert find_saved_intermediates(spec) == []


def test_a_ctx_attribute_intermediate_is_named_as_the_attribute(loaded):
    spec = spec_of(loaded, "TanhAttribute")
    assert not gradgradcheck_passes(spec)
    (found,) = find_saved_intermediates(spec)
    assert found.name == "ctx.t"
    assert found.saved_with == CTX_ATTRIBUTE
    assert found.lineno == line_of("ctx.t = torch.tanh(x)")


def test_setup_context_style_names_what_setup_context_saves(loaded):
    spec = spec_of(loaded, "GeluSetupContext")
    assert spec.uses_setup_context
    assert not gradgradcheck_passes(spec)
    (found,) = find_saved_intermediates(spec)
    assert found.name == "tanh_inner"
    assert found.method == "setup_context"
    assert found.explanation.startswith("setup_context saves tanh_inner")
    assert found.lineno == line_of("ctx.save_for_backward(x, tanh_inner)", within="def setup_context")
    assert found.defined_lineno == line_of("tanh_inner = torch.tanh(_inner(x))", within="def setup_context")


def test_setup_context_saving_its_output_finds_nothing(loaded):
    assert find_saved_intermediates(spec_of(loaded, "ExpSetupContext")) == []


def test_a_saved_mask_has_no_derivative_to_lose(loaded):
    spec = spec_of(loaded, "ReluSavesMask")
    assert gradgradcheck_passes(spec)
    assert find_saved_intermediates(spec) == []


@pytest.mark.parametrize(("name", "expected"), [("SquareSavesDetached", "x.detach()"), ("SquareSavesView", "flat")])
def test_a_detached_copy_or_view_of_an_input_is_not_the_input(loaded, name, expected):
    """forward runs under no_grad: a view made there does not lead back to the input."""
    spec = spec_of(loaded, name)
    assert not gradgradcheck_passes(spec)
    (found,) = find_saved_intermediates(spec)
    assert found.name == expected
    assert "input 'x'" in found.relation


def test_a_view_of_an_input_that_requires_no_grad_loses_nothing(loaded):
    spec = spec_of(loaded, "ScaleSavesFlatScale")
    x, scale = make_inputs(spec)
    (found,) = find_saved_intermediates(spec, (x, scale))
    assert found.name == "flat_scale" and "input 'scale'" in found.relation
    assert find_saved_intermediates(spec, (x, scale.detach())) == []


@pytest.mark.parametrize("name", ["Double", "ScaleSavesNone"])
def test_saving_nothing_or_non_tensors_finds_nothing(loaded, name):
    assert find_saved_intermediates(spec_of(loaded, name)) == []


def test_only_the_last_save_for_backward_counts_and_a_multi_line_call_is_read(loaded):
    (found,) = find_saved_intermediates(spec_of(loaded, "SavesTwice"))
    assert found.name == "cos"
    assert found.lineno == line_of("ctx.save_for_backward(\n", within="class SavesTwice")


def test_starred_arguments_are_named_by_position_and_outputs_are_recognised(loaded):
    found = find_saved_intermediates(spec_of(loaded, "SavesStarred"))
    assert [f.name for f in found] == ["parts[1]"], "parts[0] is the output itself"
    assert found[0].defined_lineno == line_of("parts = [torch.sin(x), torch.cos(x)]")


def test_forward_raising_is_reported_like_every_call_into_user_code(loaded):
    with pytest.raises(UserCodeError) as raised:
        find_saved_intermediates(spec_of(loaded, "RaisesInForward"))
    assert raised.value.problem.kind == "forward"
    assert raised.value.problem.location.lineno == line_of('raise ValueError("no forward today")')


def test_the_users_class_is_left_as_it_was(loaded):
    spec = spec_of(loaded, "GeluSavesTanh")
    before = dict(vars(spec.cls))
    find_saved_intermediates(spec)
    assert dict(vars(spec.cls)) == before
    out = spec.cls.apply(torch.ones(2, dtype=torch.float64, requires_grad=True))
    assert "save_for_backward" not in vars(out.grad_fn)
