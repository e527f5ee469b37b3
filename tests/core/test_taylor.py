"""The Taylor test: the remainder falls like h² for a right gradient and like h for a wrong one."""

import math

import numpy as np
import pytest
import torch

from gradlab.core.invoke import make_inputs
from gradlab.core.loading import load_function_file
from gradlab.core.taylor import DEFAULT_STEPS, MIN_SLOPE, taylor_test
from gradlab.model.problems import UserCodeError
from tests.helpers import builtin, data


@pytest.fixture(scope="module")
def functions():
    return load_function_file(data("taylor_functions.py"))


def test_sigmoid_falls_like_h_squared(functions):
    result = taylor_test(functions.function("Sigmoid"))
    assert result.passed is True
    assert result.slope == pytest.approx(2.0, abs=0.05)
    assert 3 <= result.points_used <= len(DEFAULT_STEPS)
    assert f"{result.points_used} smallest" in result.note
    assert list(result.hs) == sorted(DEFAULT_STEPS, reverse=True)
    assert np.all(result.remainders[result.used] > 0)


def test_the_builtin_sigmoid_and_its_wrong_twin():
    assert taylor_test(load_function_file(builtin("sigmoid.py")).functions[0]).passed is True
    wrong = taylor_test(load_function_file(builtin("wrong_backward_sigmoid.py")).functions[0])
    assert wrong.passed is False
    assert wrong.slope == pytest.approx(1.0, abs=0.1)


def test_twice_the_right_backward_falls_like_h(functions):
    result = taylor_test(functions.function("SigmoidTwice"))
    assert result.passed is False
    assert result.slope == pytest.approx(1.0, abs=0.05)
    assert "not h\u00b2" in result.note and "wrong" in result.note


def test_a_gradient_wrong_by_a_hundredth_of_a_percent_fails(functions):
    """Large steps are dominated by the h² term; the fit over the small steps sees the h term."""
    result = taylor_test(functions.function("SigmoidSlightlyWrong"))
    assert result.passed is False
    assert result.slope < MIN_SLOPE


def test_a_linear_function_is_round_off_everywhere_and_passes_with_a_note(functions):
    result = taylor_test(functions.function("Affine"))
    assert result.passed is True
    assert math.isnan(result.slope)
    assert result.points_used == 0
    assert not result.above_round_off.any()
    assert "round-off at every step" in result.note


def test_a_linear_function_with_a_wrong_gradient_fails(functions):
    result = taylor_test(functions.function("AffineWrong"))
    assert result.passed is False
    assert result.slope == pytest.approx(1.0, abs=0.01)


def test_multiply_add_moves_all_three_inputs(functions):
    spec = functions.function("MultiplyAdd")
    result = taylor_test(spec)
    assert result.passed is True
    assert result.slope == pytest.approx(2.0, abs=0.05), "w * x is bilinear: its h² term is there"
    wrong = taylor_test(functions.function("MultiplyAddWrongBias"))
    assert wrong.passed is False, "only the bias gradient is wrong, and it is caught"


def test_the_tutorials_legacy_multiply_add_passes():
    assert taylor_test(load_function_file(builtin("multiply_add.py")).functions[0]).passed is True


def test_several_outputs_are_reduced_with_one_cotangent_each(functions):
    result = taylor_test(functions.function("SinCos"))
    assert result.passed is True
    assert result.slope == pytest.approx(2.0, abs=0.05)


def test_only_inputs_that_require_grad_are_moved(functions):
    spec = functions.function("MultiplyAddWrongBias")
    w, x, b = make_inputs(spec)
    b.requires_grad_(False)
    assert taylor_test(spec, (w, x, b)).passed is True, "the wrong bias gradient is not asked for"


def test_no_input_requiring_grad_means_no_verdict(functions):
    spec = functions.function("Sigmoid")
    (x,) = make_inputs(spec)
    result = taylor_test(spec, (x.detach(),))
    assert result.passed is None
    assert "no input requires grad" in result.note


def test_float32_inputs_are_tested_in_float64(functions):
    spec = functions.function("Sigmoid")
    result = taylor_test(spec, make_inputs(spec, dtype=torch.float32))
    assert result.passed is True
    assert result.slope == pytest.approx(2.0, abs=0.05)


def test_a_kink_at_an_input_gives_a_one_sided_gradient_that_fails(functions):
    x = torch.tensor([0.0, 1.0, -1.0], dtype=torch.float64, requires_grad=True)
    assert taylor_test(functions.function("ReLU"), (x,)).passed is False


def test_outputs_that_are_not_finite_at_the_inputs_are_left_out():
    spec = load_function_file(data("produces_nan.py")).functions[0]
    result = taylor_test(spec)
    assert result.passed is True
    assert "not finite" in result.note


def test_the_direction_is_seeded(functions):
    spec = functions.function("Sigmoid")
    first, again = taylor_test(spec, seed=3), taylor_test(spec, seed=3)
    np.testing.assert_array_equal(first.remainders, again.remainders)
    assert not np.array_equal(first.remainders, taylor_test(spec, seed=4).remainders)


def test_a_backward_that_raises_is_reported_against_the_users_file():
    spec = load_function_file(data("wrong_count.py")).functions[0]
    with pytest.raises(UserCodeError) as raised:
        taylor_test(spec)
    assert raised.value.problem.kind == "backward"
    assert raised.value.problem.location.filename == spec.filename
