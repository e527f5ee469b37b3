"""Kinks: where left and right differences disagree, and gradcheck inputs moved away from them."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gradlab.core.invoke import apply_function, make_inputs
from gradlab.core.kinks import find_kinks, kink_mask, move_off_kinks
from gradlab.core.loading import load_function_file
from tests.helpers import builtin

SWEEP = np.linspace(-1.0, 1.0, 1001)  # holds 0 and ±0.5


def positions(kinks):
    return [k.x for k in kinks]


def test_relu_has_one_kink_at_zero_and_nowhere_else():
    assert 0.0 in SWEEP
    (kink,) = find_kinks(torch.relu, SWEEP)
    assert kink.x == pytest.approx(0.0, abs=1e-12)
    assert kink.left_derivative == pytest.approx(0.0, abs=1e-6)
    assert kink.right_derivative == pytest.approx(1.0, abs=1e-6)
    assert kink.jump == pytest.approx(1.0, abs=1e-6)


def test_abs_has_one_kink_at_zero():
    (kink,) = find_kinks(torch.abs, SWEEP)
    assert kink.x == pytest.approx(0.0, abs=1e-12)
    assert kink.jump == pytest.approx(2.0, abs=1e-6)


def test_clamp_has_a_kink_at_each_edge():
    kinks = find_kinks(lambda x: x.clamp(-0.5, 0.5), SWEEP)
    assert positions(kinks) == pytest.approx([-0.5, 0.5], abs=1e-12)


@pytest.mark.parametrize(
    "f",
    [
        torch.sigmoid,
        torch.tanh,
        torch.exp,
        F.softplus,
        F.gelu,
        lambda x: torch.sin(10 * x),
        lambda x: x**3,
        lambda x: torch.tanh(100 * x),
    ],
    ids=["sigmoid", "tanh", "exp", "softplus", "gelu", "sin(10x)", "x^3", "tanh(100x)"],
)
def test_smooth_functions_have_none(f):
    assert find_kinks(f, SWEEP) == []
    assert find_kinks(f, np.linspace(-5.0, 5.0, 1001)) == []


def test_a_continuous_derivative_is_not_a_kink():
    """x|x| has f′ = 2|x|, continuous; only f″ jumps."""
    assert find_kinks(lambda x: x * x.abs(), SWEEP) == []


def test_a_kink_between_sweep_points_is_found_and_located():
    sweep = np.linspace(-1.0, 1.0, 1000)  # no point at 0
    assert np.min(np.abs(sweep)) > 1e-4
    (kink,) = find_kinks(torch.relu, sweep)
    assert kink.x == pytest.approx(0.0, abs=1e-9)
    (shifted,) = find_kinks(lambda x: (x - 0.1234567).abs(), sweep)
    assert shifted.x == pytest.approx(0.1234567, abs=1e-9)


def test_a_small_kink_on_a_steep_slope_is_found():
    (kink,) = find_kinks(lambda x: 1000 * x + 0.5 * torch.relu(x), SWEEP)
    assert kink.jump == pytest.approx(0.5, rel=1e-4)


def test_many_kinks_are_each_found_once():
    sweep = np.linspace(-3.0, 3.0, 1001)
    kinks = find_kinks(lambda x: torch.relu(torch.sin(7 * x)), sweep)
    expected = np.pi / 7 * np.arange(-6, 7)
    assert positions(kinks) == pytest.approx(list(expected), abs=1e-6)


def test_an_undersampled_smooth_function_has_no_kinks():
    """sin(1000 x) every 0.01 looks jagged; on a fine grid it is smooth."""
    assert find_kinks(lambda x: torch.sin(1000 * x), np.linspace(-5.0, 5.0, 1001)) == []


def test_adjacent_flagged_points_merge_into_one_kink():
    dense = np.linspace(-1e-6, 1e-6, 5)  # every point within eps of the kink
    kinks = find_kinks(torch.relu, dense, eps=1e-6)
    assert len(kinks) == 1


def test_f_may_return_a_numpy_array():
    (kink,) = find_kinks(lambda x: np.abs(x.numpy()), SWEEP)
    assert kink.x == pytest.approx(0.0, abs=1e-12)


def test_an_empty_sweep_has_no_kinks():
    assert find_kinks(torch.relu, []) == []


# --- gradcheck inputs ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def relu():
    return load_function_file(builtin("relu.py")).functions[0]


def relu_inputs_with_zeros(spec):
    (x,) = make_inputs(spec)
    with torch.no_grad():
        x[0, 0] = 0.0
        x[1, 2] = 0.0
        x[2, 3] = 5e-7  # within eps
        x[0, 1] = -3e-6  # 3 eps away: not near
    return (x,)


def test_inputs_within_a_few_eps_of_relus_kink_are_found(relu):
    (mask,) = kink_mask(relu, relu_inputs_with_zeros(relu), eps=1e-6)
    expected = torch.zeros(3, 4, dtype=torch.bool)
    expected[0, 0] = expected[1, 2] = expected[2, 3] = True
    assert torch.equal(mask, expected)


def test_inputs_drawn_at_relus_kink_are_moved_and_gradcheck_then_passes(relu):
    inputs = relu_inputs_with_zeros(relu)
    before = inputs[0].detach().clone()
    fn = apply_function(relu)
    assert not torch.autograd.gradcheck(fn, inputs, raise_exception=False), "FD at the kink gives 0.5, backward 0"

    (moved,), count = move_off_kinks(relu, inputs, eps=1e-6)
    assert count == 3
    assert torch.equal(inputs[0].detach(), before), "the given inputs are left alone"
    assert moved.requires_grad and moved.is_leaf and moved.dtype == before.dtype
    changed = moved.detach() != before
    assert int(changed.sum()) == 3
    assert torch.all(moved.detach()[changed].abs() > 2e-6)
    assert torch.equal(moved.detach()[~changed], before[~changed])
    assert not any(m.any() for m in kink_mask(relu, (moved,), eps=1e-6))
    assert torch.autograd.gradcheck(fn, (moved,))


def test_inputs_at_the_tutorials_eps_are_moved_further(relu):
    x = torch.tensor([0.0, 5e-4, 3e-3, -1e-3, 1.0], dtype=torch.float32, requires_grad=True)
    (mask,) = kink_mask(relu, (x,), eps=1e-3)
    assert mask.tolist() == [True, True, False, True, False]
    (moved,), count = move_off_kinks(relu, (x,), eps=1e-3)
    assert count == 3 and moved.dtype == torch.float32
    assert torch.all(moved.detach().abs() > 2e-3)


def test_clamp_inputs_at_both_edges_are_moved():
    x = torch.tensor([-0.5, 0.5, 0.0, 0.5 + 1e-7, 2.0], dtype=torch.float64, requires_grad=True)
    (moved,), count = move_off_kinks(lambda x: x.clamp(-0.5, 0.5), (x,))
    assert count == 3
    assert torch.all((moved.detach().abs() - 0.5).abs()[[0, 1, 3]] > 2e-6)


def test_smooth_functions_move_nothing():
    sigmoid = load_function_file(builtin("sigmoid.py")).functions[0]
    inputs = make_inputs(sigmoid)
    adjusted, count = move_off_kinks(sigmoid, inputs)
    assert count == 0
    assert torch.equal(adjusted[0], inputs[0])
    x = torch.linspace(-5, 5, 201, dtype=torch.float64, requires_grad=True)
    for f in (torch.sigmoid, F.gelu, torch.exp, lambda x: torch.sin(10 * x)):
        assert not kink_mask(f, (x,))[0].any()


def test_only_one_of_two_arguments_needs_moving_for_max():
    a = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([1.0, 0.0, 3.0 + 1e-7], dtype=torch.float64, requires_grad=True)
    (new_a, new_b), count = move_off_kinks(torch.maximum, (a, b))
    assert count == 2
    assert torch.all((new_a - new_b).detach().abs()[[0, 2]] > 2e-6)
    assert torch.equal(new_b, b), "moving a was enough"


def test_a_function_that_is_not_elementwise_is_tested_element_by_element():
    def abs_of_sum(x):
        return x.sum().abs().reshape(1)

    x = torch.tensor([1.0, -1.0, 0.25], dtype=torch.float64, requires_grad=True)
    assert not kink_mask(abs_of_sum, (x,))[0].any()
    at_kink = torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64, requires_grad=True)
    assert kink_mask(abs_of_sum, (at_kink,))[0].all()


def test_arguments_that_do_not_require_grad_are_not_tested(relu):
    x = torch.zeros(3, dtype=torch.float64)
    assert kink_mask(relu, (x,)) == [None]
    assert move_off_kinks(relu, (x,)) == ((x,), 0)
