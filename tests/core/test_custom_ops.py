"""Custom operators (``torch.library.custom_op``) in function files: found, checked, opchecked, plotted and timed."""

from __future__ import annotations

import pytest
import torch

from gradlab.core.benchmark import AUTOGRAD_OF_FORWARD, CUSTOM, run_benchmark
from gradlab.core.checks import run_checks
from gradlab.core.curves import compute_curves
from gradlab.core.invoke import FINITE_DIFFERENCES, autograd_of_forward, make_inputs
from gradlab.core.loading import CUSTOM_OP, FUNCTION, load_function_file
from gradlab.core.opcheck import run_opcheck
from gradlab.model.problems import UserCodeError
from gradlab.model.progress import finish
from gradlab.model.results import verdict_is_failure
from tests.helpers import builtin, data


def test_a_custom_op_is_found_by_its_variable_name_with_its_arguments():
    loaded = load_function_file(builtin("numpy_sin_op.py"))
    (spec,) = loaded.functions
    assert spec.kind == CUSTOM_OP and spec.name == "numpy_sin" and spec.arg_names == ["x"]
    info = spec.info()
    assert info.kind == CUSTOM_OP and info.domain == (-6.0, 6.0) and info.lineno > 0
    assert spec.method_location("backward").lineno > spec.lineno  # the registered backward, for messages
    assert load_function_file(builtin("sigmoid.py")).functions[0].kind == FUNCTION


def test_a_correct_custom_op_passes_its_checks_and_opcheck():
    spec = load_function_file(builtin("numpy_sin_op.py")).functions[0]
    checks = finish(run_checks(spec))
    assert checks.gradcheck.passed and checks.gradgradcheck.passed
    result = run_opcheck(spec, make_inputs(spec))
    assert result.status == "pass" and set(result.tests.values()) == {"pass"}
    checks.opcheck = result
    assert not verdict_is_failure(checks)


def test_a_custom_op_without_register_fake_fails_opcheck_in_words():
    spec = load_function_file(data("custom_op_no_fake.py")).functions[0]
    result = run_opcheck(spec, make_inputs(spec))
    assert result.status == "fail"
    assert result.tests["test_faketensor"] == "fail" and result.tests["test_schema"] == "pass"
    assert "register_fake is missing, or returns a wrong shape/stride/dtype" in result.message
    assert "no fake impl registered" in result.errors["test_faketensor"]


def test_a_wrong_registered_backward_fails_gradcheck():
    spec = load_function_file(data("custom_op_wrong_backward.py")).functions[0]
    checks = finish(run_checks(spec, gradgradcheck=False))
    assert checks.gradcheck.passed is False and "autograd of forward" in checks.gradcheck.hint
    assert verdict_is_failure(checks)  # gradlab check exits 1


def test_a_numpy_op_has_no_autograd_of_forward_and_is_measured_against_finite_differences():
    spec = load_function_file(data("custom_op_numpy_wrong_backward.py")).functions[0]
    with pytest.raises(UserCodeError, match="autograd of forward is not available for cube: its output is not connected to its input under autograd"):
        autograd_of_forward(spec)(*make_inputs(spec))
    checks = finish(run_checks(spec, gradgradcheck=False))
    # Not "autograd of forward 0": a detached output says nothing about the derivative.
    assert checks.gradcheck.passed is False and checks.gradcheck.worst.autograd_of_forward is None
    assert "disagrees with finite differences at x[" in checks.gradcheck.hint and "compare f′ with finite differences" in checks.gradcheck.hint
    curves = compute_curves(spec, points=21)
    autograd = curves.references[0]
    assert autograd.label == AUTOGRAD_OF_FORWARD and autograd.df is None and "not available for cube" in autograd.df_note
    assert {r.reference for r in curves.residuals} == {FINITE_DIFFERENCES}


def test_a_custom_op_is_plotted_with_its_registered_derivative():
    spec = load_function_file(builtin("numpy_sin_op.py")).functions[0]
    curves = compute_curves(spec, points=101)
    assert torch.allclose(torch.from_numpy(curves.hand_written.df), torch.cos(torch.from_numpy(curves.x)), atol=1e-6)


def test_a_numpy_op_is_timed_without_an_autograd_of_forward_it_does_not_have():
    spec = load_function_file(builtin("numpy_sin_op.py")).functions[0]
    report = finish(run_benchmark(spec, sizes=(100,), min_run_time=0.01))
    assert [row.implementation for row in report.rows] == [CUSTOM] and report.rows[0].median_s
    assert any(note.startswith(f"{AUTOGRAD_OF_FORWARD} not timed: autograd cannot follow numpy_sin") for note in report.notes)


def test_an_edit_that_drops_register_fake_and_adds_an_argument_replaces_the_whole_op(tmp_path):
    """torch.library lets a file redefine its op: nothing of the old definition (schema, fake) is left behind."""
    path = tmp_path / "sine.py"
    source = open(builtin("numpy_sin_op.py")).read().replace("gradlab_examples::", "gradlab_tests::reload_")
    path.write_text(source)
    spec = load_function_file(str(path)).functions[0]
    assert run_opcheck(spec, make_inputs(spec)).status == "pass"
    edited = source.replace("@numpy_sin.register_fake\ndef _(x):\n    return torch.empty_like(x)\n", "")
    edited = edited.replace("(x: torch.Tensor)", "(x: torch.Tensor, scale: float = 1.0)")
    assert edited.count("register_fake") == source.count("register_fake") - 1 and "scale" in edited
    path.write_text(edited)
    loaded = load_function_file(str(path))
    spec = loaded.functions[0]
    assert "float scale=1." in str(spec.op._opoverload._schema) and not loaded.captured.warnings  # its own name again: no clash
    result = run_opcheck(spec, make_inputs(spec))
    assert result.tests["test_faketensor"] == "fail" and "register_fake is missing" in result.message


def test_a_second_file_taking_over_an_op_name_is_warned_about(tmp_path):
    source = (
        "import torch\n\n"
        '@torch.library.custom_op("gradlab_tests::shared", mutates_args=())\n'
        "def op(x: torch.Tensor) -> torch.Tensor:\n    return x * 2\n"
    )
    (tmp_path / "first.py").write_text(source)
    (tmp_path / "copy.py").write_text(source)
    first = load_function_file(str(tmp_path / "first.py"))
    assert not first.captured.warnings
    (warning,) = load_function_file(str(tmp_path / "copy.py")).captured.warnings
    assert "custom op gradlab_tests::shared (op) is also defined by " + str(tmp_path / "first.py") in warning
    assert 'give this one a name of its own (e.g. "copy::shared")' in warning


def test_an_edited_custom_op_reloads_with_its_new_body(tmp_path):
    path = tmp_path / "op.py"
    source = (
        "import torch\n\n"
        '@torch.library.custom_op("gradlab_tests::reloaded", mutates_args=())\n'
        "def op(x: torch.Tensor) -> torch.Tensor:\n    return x * 2\n"
    )
    path.write_text(source)
    first = load_function_file(str(path)).functions[0]
    assert first.apply(torch.ones(2)).tolist() == [2.0, 2.0]
    path.write_text(source.replace("x * 2", "x * 3"))
    again = load_function_file(str(path)).functions[0]
    assert again.apply(torch.ones(2)).tolist() == [3.0, 3.0]
