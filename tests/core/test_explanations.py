"""Failed checks explained by their real cause, with numbers: constants, precision, the worst entry, gradgradcheck, eps sweeps."""

import re

import numpy as np
import pytest
import torch

from gradlab.core.checks import run_checks, sweep_eps
from gradlab.core.curves import compute_curves
from gradlab.core.invoke import make_inputs
from gradlab.core.loading import load_function_file
from gradlab.model.problems import UserCodeError
from gradlab.model.progress import finish
from tests.helpers import builtin, data


def spec_of(path, name=None):
    return load_function_file(path).function(name)


def checks_of(path, **kwargs):
    return finish(run_checks(spec_of(path), **kwargs))


# -- constants and fixed ------------------------------------------------------
def test_a_setting_differentiated_fails_and_the_hint_says_backward_returned_none_and_points_to_constants():
    spec = spec_of(data("power.py"))
    x = torch.rand(3, 4, dtype=torch.float64).add(0.5).requires_grad_()
    assert torch.autograd.gradcheck(spec.cls.apply, (x, torch.tensor(3.0, dtype=torch.float64))), "PyTorch passes with k a plain tensor"
    report = checks_of(data("power.py"))
    assert report.gradcheck.passed is False, "PyTorch's verdict: k requires grad here"
    assert "with respect to input 1" in report.gradcheck.message
    hint = report.gradcheck.hint
    assert hint.startswith("backward returned None for k, but k requires grad")
    assert 'EXPLORE = {"Power": {"constants": {"k": VALUE}}}' in hint
    assert report.gradcheck.worst.input.startswith("k[") and report.gradcheck.worst.backward == 0.0


def test_a_constant_is_a_tensor_without_grad_in_checks_plots_and_benchmarks():
    spec = spec_of(data("power_constant.py"))
    x, k = make_inputs(spec, (3, 4), torch.float32)
    assert x.requires_grad and x.dtype == torch.float32
    assert k.shape == () and k.dtype == torch.float32 and float(k) == 3.0 and not k.requires_grad
    report = checks_of(data("power_constant.py"))
    assert report.gradcheck.passed is True and report.gradgradcheck.passed is True
    curves = compute_curves(spec, points=5)
    np.testing.assert_allclose(curves.hand_written.df, 3 * curves.x**2)
    np.testing.assert_allclose(curves.hand_written.d2f, 6 * curves.x)
    from gradlab.core.benchmark import run_benchmark

    bench = finish(run_benchmark(spec, sizes=(10,), min_run_time=0.001))
    assert all(row.error == "" and row.median_s is not None for row in bench.rows), bench.rows


def test_checks_draw_an_argument_around_its_fixed_value():
    spec = spec_of(data("scaled_sqrt.py"))
    x, scale = (a.detach() for a in make_inputs(spec))
    assert float(x.min()) < -1 and float(x.max()) > 1, "the swept argument still spans the domain"
    assert 0.225 <= float(scale.min()) and float(scale.max()) <= 0.275, "around 0.25, never from the domain (-2, 2)"
    report = checks_of(data("scaled_sqrt.py"))
    assert report.gradcheck.passed is True and report.gradgradcheck.passed is True
    assert not any("NaN" in w for w in report.captured.warnings)


def _options_error(tmp_path, explore: str) -> str:
    path = tmp_path / "power_options.py"
    source = open(data("power.py")).read().split("EXPLORE")[0] + f"EXPLORE = {{\n    \"Power\": {explore},\n}}\n"
    path.write_text(source)
    with pytest.raises(UserCodeError) as info:
        load_function_file(str(path))
    problem = info.value.problem
    assert problem.kind == "options" and f"{path}:19" in problem.message, "names the EXPLORE line"
    return f"{problem.message} | {problem.hint}"


@pytest.mark.parametrize(
    ("explore", "words"),
    [
        ('{"constants": {"kk": 3.0}}', ["'constants' names 'kk', which is not an argument of forward", "did you mean 'k'?"]),
        ('{"constants": {"x": 3.0}}', ["'constants' names 'x', the argument the plots sweep", "sweep another argument"]),
        ('{"constants": 3.0}', ["'constants' must map argument names to numbers", '"constants": {"k": 3.0}']),
        ('{"constants": {"k": "three"}}', ["'constants' values must be numbers"]),
        ('{"constant": {"k": 3.0}}', ["unknown option 'constant'", "did you mean 'constants'?"]),
    ],
)
def test_constants_are_validated_like_the_other_options(tmp_path, explore, words):
    text = _options_error(tmp_path, explore)
    for word in words:
        assert word in text


# -- precision ------------------------------------------------------------------
def test_a_float32_failure_that_passes_in_float64_blames_the_finite_differences_not_backward():
    report = checks_of(builtin("sigmoid.py"), dtype=torch.float32, eps=1e-3)
    first = report.gradcheck
    assert first.passed is False, "the verdict stays PyTorch's"
    assert first.float64_passed is True
    assert first.hint.startswith("passes in float64 at the same points: the finite differences of float32 are too coarse at eps=0.001")
    assert "disagrees" not in first.hint
    assert first.suggested_eps is not None and f"try eps={first.suggested_eps:.2g}" in first.hint
    again = checks_of(builtin("sigmoid.py"), dtype=torch.float32, eps=first.suggested_eps, gradgradcheck=False)
    assert again.gradcheck.passed is True, "the suggested eps really passes"
    assert report.gradgradcheck.passed is False and report.gradgradcheck.float64_passed is True
    assert "passes in float64 at the same points" in report.gradgradcheck.hint


def test_a_float32_failure_that_fails_in_float64_too_says_the_backward_really_disagrees():
    report = checks_of(data("wrong_constant.py"), dtype=torch.float32, eps=1e-3)
    first = report.gradcheck
    assert first.passed is False and first.float64_passed is False and first.suggested_eps is None
    assert first.hint.startswith("fails in float64 at the same points too (eps=1e-06), so it is not float32's precision")
    assert "disagrees with finite differences and with autograd of forward" in first.hint


def test_float64_checks_are_not_rerun():
    report = checks_of(data("wrong_constant.py"))
    assert report.gradcheck.float64_passed is None and report.gradcheck.suggested_eps is None


# -- numbers ---------------------------------------------------------------------
def test_a_failure_gives_the_input_value_and_each_derivative_at_the_worst_entry():
    spec = spec_of(data("wrong_sign.py"))
    x = make_inputs(spec)[0].detach()
    report = checks_of(data("wrong_sign.py"))
    worst = report.gradcheck.worst
    index = tuple(int(i) for i in re.fullmatch(r"x\[(\d+), (\d+)\]", worst.input).groups())
    value = float(x[index])
    assert worst.output == f"out[{index[0]}, {index[1]}]"
    assert worst.input_value == value
    assert worst.backward == pytest.approx(-2 * value)
    assert worst.finite_differences == pytest.approx(2 * value, rel=1e-6)
    assert worst.autograd_of_forward == pytest.approx(2 * value)
    assert worst.relative_difference == pytest.approx(2.0, rel=1e-6)
    assert report.gradcheck.worst_element == f"{worst.input} ({worst.output})"
    assert f"at {worst.input} = {value:.6g}" in worst.text()
    assert "disagrees with finite differences and with autograd of forward" in report.gradcheck.hint


# -- gradgradcheck -----------------------------------------------------------------
def _printed_matrices(message: str) -> tuple[np.ndarray, np.ndarray]:
    numerical, analytical = re.search(r"numerical:(tensor\(.*?\))\s*analytical:(tensor\(.*\))", message, re.S).groups()

    def parse(text):
        text = re.sub(r",\s*dtype=torch\.\w+", "", text)
        return np.array(eval(text, {"tensor": lambda values: values}))  # noqa: S307 - PyTorch's own printout

    return parse(numerical), parse(analytical)


def test_the_gradgradcheck_summary_is_the_difference_pytorchs_message_shows():
    report = checks_of(data("gelu_tanh_numbers.py"))
    assert report.gradcheck.passed is True and report.gradgradcheck.passed is False
    numerical, analytical = _printed_matrices(report.gradgradcheck.message)
    printed = float(np.abs(analytical - numerical).max())
    assert report.gradgradcheck.max_abs_error == pytest.approx(printed, abs=2e-4), "PyTorch prints 4 decimals"
    worst = report.gradgradcheck.worst
    assert worst.backward - worst.finite_differences == pytest.approx(
        np.sign(worst.backward - worst.finite_differences) * report.gradgradcheck.max_abs_error
    )


# -- eps sweep -------------------------------------------------------------------------
def test_a_wrong_constant_gets_no_best_eps_and_a_reason():
    sweep = finish(sweep_eps(spec_of(data("wrong_constant.py"))))
    assert sweep.best == {"float64": None, "float32": None}
    assert sweep.reason.startswith("not an eps problem: the error does not depend on eps")
    right = finish(sweep_eps(spec_of(builtin("sigmoid.py"))))
    assert right.reason == "" and 1e-7 <= right.best["float64"] <= 1e-4
