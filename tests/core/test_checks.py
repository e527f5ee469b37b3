"""gradcheck / gradgradcheck reports: PyTorch's verdicts, with errors, locations and hints."""

import contextlib
import io
import warnings

import pytest
import torch

from gradlab.core.checks import run_checks
from gradlab.core.invoke import apply_function, make_inputs
from gradlab.core.loading import load_function_file
from gradlab.model.problems import UserCodeError
from gradlab.model.progress import Progress, finish
from tests.helpers import BUILTIN_FILES, builtin, data


def checks_of(path, on_progress=None, **kwargs):
    return finish(run_checks(load_function_file(path).functions[0], **kwargs), on_progress)


@pytest.mark.parametrize("eps", [1e-3, 1e-6])
def test_sigmoid_passes_at_the_tutorials_eps_and_the_default(eps):
    checks = checks_of(builtin("sigmoid.py"), eps=eps)
    assert checks.gradcheck.passed is True
    assert checks.gradgradcheck.passed is True
    assert checks.gradcheck.max_abs_error < 1e-6
    assert checks.gradcheck.worst_element.startswith("x[")


def _direct_verdict(check, fn, inputs, **kwargs):
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")  # the legacy example's deprecation warning
        try:
            return check(fn, inputs, **kwargs)
        except Exception:  # noqa: BLE001 - any error is a failed verdict
            return False


@pytest.mark.parametrize("path", BUILTIN_FILES, ids=lambda p: p.stem)
def test_verdicts_agree_with_calling_pytorch_directly(path):
    spec = load_function_file(str(path)).functions[0]
    report = finish(run_checks(spec))
    inputs = make_inputs(spec)
    fn = apply_function(spec)
    assert report.gradcheck.passed == _direct_verdict(torch.autograd.gradcheck, fn, inputs)
    direct_gradgrad = _direct_verdict(torch.autograd.gradgradcheck, fn, inputs)
    if report.gradgradcheck.passed is None:
        assert "once_differentiable" in report.gradgradcheck.message
        assert direct_gradgrad is False, "PyTorch cannot verify it either"
    else:
        assert report.gradgradcheck.passed == direct_gradgrad


def test_each_builtin_checks_as_its_docstring_says():
    for path in BUILTIN_FILES:
        report = checks_of(str(path))
        if "wrong" in path.stem:
            assert report.gradcheck.passed is False, path
        else:
            assert report.gradcheck.passed is True, path
        expected_gradgrad = None if "once_differentiable" in path.stem else ("wrong" not in path.stem)
        assert report.gradgradcheck.passed is expected_gradgrad, path


def test_a_wrong_backward_fails_with_pytorchs_message_and_the_worst_element():
    report = checks_of(builtin("wrong_backward_sigmoid.py"))
    assert report.gradcheck.passed is False
    assert "Jacobian mismatch" in report.gradcheck.message
    assert report.gradcheck.max_abs_error > 0.1
    assert report.gradcheck.worst_element.startswith("x[")
    assert report.gradcheck.hint


def test_wrong_number_of_gradients_fails_with_a_plain_hint():
    report = checks_of(data("wrong_count.py"))
    assert report.gradcheck.passed is False
    assert "incorrect number of gradients (expected 2, got 1)" in report.gradcheck.message
    assert report.gradcheck.hint.startswith("backward returned 1 gradient for 2 inputs: return one per forward argument")
    assert "wrong_count.py:11" in report.gradcheck.message, "points at backward's definition"


def test_wrong_gradient_shape_fails_with_a_plain_hint():
    report = checks_of(data("wrong_shape.py"))
    assert report.gradcheck.passed is False
    assert "invalid gradient at index 0" in report.gradcheck.message
    assert "must have its input's shape" in report.gradcheck.hint


def test_once_differentiable_reports_double_backward_not_supported_and_why():
    report = checks_of(builtin("cube_once_differentiable.py"))
    assert report.gradcheck.passed is True
    assert report.gradgradcheck.passed is None
    assert "not supported" in report.gradgradcheck.message
    assert "once_differentiable" in report.gradgradcheck.message


def test_a_detaching_backward_fails_gradgradcheck_with_a_hint():
    report = checks_of(data("detaching_backward.py"))
    assert report.gradcheck.passed is True
    assert report.gradgradcheck.passed is False
    assert "detached" in report.gradgradcheck.hint


def test_forward_errors_make_the_function_unusable():
    with pytest.raises(UserCodeError) as info:
        checks_of(data("raises_in_forward.py"))
    assert info.value.problem.kind == "forward"
    assert "raises_in_forward.py:9" in info.value.problem.message


def test_nan_outputs_are_warned_about():
    report = checks_of(data("produces_nan.py"))
    assert report.gradcheck.passed is False
    assert any("NaN or inf" in w for w in report.captured.warnings)
    assert "NaN" in report.gradcheck.hint


def test_float32_carries_pytorchs_own_warning():
    report = checks_of(builtin("sigmoid.py"), eps=1e-3, atol=1e-3, dtype=torch.float32)
    assert any("double precision" in w for w in report.captured.warnings)


def test_printed_megabytes_are_capped_with_a_note():
    report = checks_of(data("prints_a_lot.py"))
    assert report.gradcheck.passed is True
    assert len(report.captured.stdout) < 100_000
    assert report.captured.dropped_chars > 1_000_000
    assert "more characters of output dropped" in report.captured.stdout


def test_optional_checks_run_when_supported_and_say_why_not_otherwise():
    exp = checks_of(builtin("exp_setup_context.py"), forward_ad=True, batched_grad=True)
    assert {r.name: r.passed for r in exp.rows} == {
        "gradcheck": True,
        "gradgradcheck": True,
        "forward AD": True,
        "batched grad (vmap)": True,
    }
    assert exp.capabilities.forward_ad and exp.capabilities.vmap and exp.capabilities.setup_context
    assert not any("torch/jit" in w for w in exp.captured.warnings), "PyTorch's internal warnings are not the user's"
    sigmoid = checks_of(builtin("sigmoid.py"), forward_ad=True, batched_grad=True)
    rows = {r.name: r for r in sigmoid.rows}
    assert rows["forward AD"].passed is None and "jvp" in rows["forward AD"].message
    assert rows["batched grad (vmap)"].passed is None and "vmap" in rows["batched grad (vmap)"].hint


def test_capabilities_see_needs_input_grad_in_backward():
    assert checks_of(builtin("linear_layer.py")).capabilities.needs_input_grad is True
    assert checks_of(builtin("sigmoid.py")).capabilities.needs_input_grad is False


def test_jacobians_come_back_labelled_and_match_pytorchs():
    report = checks_of(data("wrong_sign.py"))
    jac = report.jacobians
    assert jac.numerical.shape == (12, 12) and jac.row_labels[5] == "x[1, 1]" and jac.column_labels[0] == "out[0, 0]"
    import numpy as np

    np.testing.assert_allclose(jac.analytical, -jac.numerical, atol=1e-6)
    assert report.gradcheck.max_abs_error == abs(jac.difference).max()


def test_slow_mode_counts_its_calls_to_one_total_fixed_up_front_and_reaches_it_last():
    seen = []
    checks_of(builtin("sigmoid.py"), seen.append, shape=(10, 10), gradgradcheck=False)
    (total,) = {step.total for step in seen}
    assert total >= 300, "two forward calls per input element, backward twice per output element"
    done = [step.done for step in seen]
    assert done == sorted(done) and done[-1] == total
    assert done.count(total) == 1, "only the last step reaches the total"
    assert len(seen) > total / 2, "steps are counted, not estimated at the end"
    fast = []
    checks_of(builtin("sigmoid.py"), fast.append, shape=(10, 10), fast_mode=True)
    assert fast == [Progress(1, 1)], "fast mode's calls are not the estimate's: it only finishes"


def test_closing_the_checks_early_stops_their_thread():
    import threading

    work = run_checks(load_function_file(builtin("sigmoid.py")).functions[0], shape=(20, 20))
    next(work)
    work.close()
    assert not any(t.name == "gradlab-checks" for t in threading.enumerate())


def test_eps_sweep_finds_a_v_with_its_bottom_near_the_cube_root_of_machine_epsilon():
    from gradlab.core.checks import sweep_eps

    seen = []
    sweep = finish(sweep_eps(load_function_file(builtin("sigmoid.py")).functions[0]), seen.append)
    assert 1e-7 <= sweep.best["float64"] <= 1e-4
    assert sweep.cube_root_machine_eps["float64"] == pytest.approx(6.06e-6, rel=1e-2)
    assert sweep.errors["float64"].min() < 1e-9
    assert [step.done for step in seen] == list(range(1, 91)) and {step.total for step in seen} == {90}, "45 eps × 2 dtypes"


def test_undefined_output_grads_are_checked_by_default_as_torch_does():
    spec = load_function_file(data("unmaterialized_grads.py")).functions[0]
    inputs = make_inputs(spec, (3, 4), torch.float64, "cpu", 0)
    with pytest.raises(TypeError):
        torch.autograd.gradcheck(spec.cls.apply, inputs)  # PyTorch's own verdict: backward cannot take None
    report = checks_of(data("unmaterialized_grads.py"))
    assert report.gradcheck.passed is False and "NoneType" in report.gradcheck.message
    assert "set_materialize_grads" in report.gradcheck.hint
    assert checks_of(data("unmaterialized_grads.py"), undefined_grad=False).gradcheck.passed is True


def test_a_failure_inside_gradcheck_itself_is_not_blamed_on_backward():
    # gradcheck's slow mode cannot handle an integer first output (PyTorch raises IndexError internally)
    report = finish(run_checks(load_function_file(data("odd_signatures.py")).function("SortWithIndices"), gradgradcheck=False))
    assert report.gradcheck.passed is False
    assert "inside PyTorch" in report.gradcheck.message and "backward raised" not in report.gradcheck.message


def test_a_varargs_forward_is_checked_with_one_argument():
    report = finish(run_checks(load_function_file(data("odd_signatures.py")).function("SumOfSquares")))
    assert report.gradcheck.passed and report.gradgradcheck.passed
