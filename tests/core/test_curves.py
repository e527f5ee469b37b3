"""Curves: f, f′, f″ from the hand-written backward against autograd-of-forward and finite differences."""

import numpy as np
import pytest

from gradlab.core.curves import compute_curves
from gradlab.core.invoke import AUTOGRAD_OF_FORWARD, FINITE_DIFFERENCES
from gradlab.core.loading import load_function_file
from gradlab.model.problems import UserCodeError
from tests.helpers import BUILTIN_FILES, builtin, data


def curves_of(path, **kwargs):
    return compute_curves(load_function_file(path).functions[0], **kwargs)


def at(curves, values, x):
    return float(values[int(np.argmin(np.abs(curves.x - x)))])


def test_square_gives_the_tutorials_numbers_at_5():
    curves = curves_of(builtin("square.py"), domain=(0.0, 10.0), points=101)
    assert at(curves, curves.hand_written.f, 5.0) == 25.0
    assert at(curves, curves.hand_written.df, 5.0) == 10.0
    assert at(curves, curves.hand_written.d2f, 5.0) == 2.0
    autograd = curves.reference(AUTOGRAD_OF_FORWARD)
    assert at(curves, autograd.df, 5.0) == 10.0 and at(curves, autograd.d2f, 5.0) == 2.0
    fd = curves.reference(FINITE_DIFFERENCES)
    assert at(curves, fd.df, 5.0) == pytest.approx(10.0, rel=1e-8)
    assert at(curves, fd.d2f, 5.0) == pytest.approx(2.0, rel=1e-5)


@pytest.mark.parametrize("path", [p for p in BUILTIN_FILES if "wrong" not in p.stem], ids=lambda p: p.stem)
def test_correct_builtins_agree_with_both_references(path):
    curves = curves_of(str(path), points=200)  # even: no grid point on relu's kink at 0
    assert np.all(np.isfinite(curves.hand_written.f))
    assert np.all(np.isfinite(curves.hand_written.df))
    first_order = {r.reference: r for r in curves.residuals if r.order == 1}
    if curves.reference(AUTOGRAD_OF_FORWARD).df is None:  # a NumPy-backed custom op: autograd cannot follow it, and says so
        assert "not connected to its input under autograd" in curves.reference(AUTOGRAD_OF_FORWARD).df_note
    else:
        assert first_order[AUTOGRAD_OF_FORWARD].max_abs < 1e-9
    assert first_order[FINITE_DIFFERENCES].max_abs < 1e-4


def test_a_wrong_backward_shows_a_residual_and_where_it_is_largest():
    curves = curves_of(builtin("wrong_backward_sigmoid.py"), points=1001)
    residual = next(r for r in curves.residuals if r.order == 1 and r.reference == AUTOGRAD_OF_FORWARD)
    assert residual.max_abs > 0.5
    assert residual.label == "f\u2032 \u2212 autograd of forward"
    worst = int(np.argmax(np.abs(residual.values)))
    assert residual.at == curves.x[worst]


def test_compare_entries_become_references():
    curves = curves_of(builtin("sigmoid.py"), points=101)
    builtin_op = curves.reference("torch.sigmoid")
    np.testing.assert_allclose(builtin_op.f, curves.hand_written.f, atol=1e-12)
    np.testing.assert_allclose(builtin_op.df, curves.hand_written.df, atol=1e-12)


def test_once_differentiable_reports_f2_unsupported_with_pytorchs_reason():
    curves = curves_of(builtin("cube_once_differentiable.py"), points=51)
    assert curves.hand_written.df is not None
    assert curves.hand_written.d2f is None
    assert "once_differentiable" in curves.hand_written.d2f_note
    assert curves.reference(AUTOGRAD_OF_FORWARD).d2f is not None, "the reference still has f''"


def test_a_detaching_backward_reports_f2_unsupported_not_zeros():
    curves = curves_of(data("detaching_backward.py"), points=51)
    assert curves.hand_written.d2f is None
    assert "detached" in curves.hand_written.d2f_note


def test_setup_context_style_has_all_three_curves():
    curves = curves_of(builtin("exp_setup_context.py"), points=51)
    np.testing.assert_allclose(curves.hand_written.d2f, np.exp(curves.x), rtol=1e-12)


def test_sweep_and_fixed_arguments_of_multiply_add():
    spec = load_function_file(builtin("multiply_add.py")).functions[0]
    by_x = compute_curves(spec, sweep=1, fixed=(0.5, 0.0, 0.25), domain=(-1.0, 1.0), points=5)
    np.testing.assert_allclose(by_x.hand_written.f, 0.5 * by_x.x + 0.25)
    np.testing.assert_allclose(by_x.hand_written.df, 0.5)
    assert by_x.parameter == "x"
    by_w = compute_curves(spec, sweep=0, fixed=(0.0, 2.0, 1.0), domain=(-1.0, 1.0), points=5)
    np.testing.assert_allclose(by_w.hand_written.df, 2.0)
    assert "type in forward" in by_w.captured.stdout, "the tutorial's prints are captured"
    assert any("saved_variables" in w for w in by_w.captured.warnings)


def test_non_elementwise_functions_follow_a_line_and_show_directional_derivatives():
    curves = curves_of(builtin("linear_layer.py"), points=21)
    assert curves.parameter.startswith("t")
    fd = curves.reference(FINITE_DIFFERENCES)
    np.testing.assert_allclose(curves.hand_written.df, fd.df, atol=1e-6)
    np.testing.assert_allclose(curves.hand_written.d2f, 0.0, atol=1e-12)  # linear along any line


def test_nan_points_are_reported_as_gaps():
    curves = curves_of(data("produces_nan.py"), points=101)
    assert np.isnan(curves.hand_written.f[0])
    assert any("not finite" in note and "of 101 points" in note for note in curves.notes)


def test_forward_errors_name_the_line():
    with pytest.raises(UserCodeError) as info:
        curves_of(data("raises_in_forward.py"), points=11)
    assert info.value.problem.kind == "forward"
    assert info.value.problem.location.lineno == 9
    assert "forward is not written yet" in info.value.problem.message


def test_a_backward_with_the_wrong_count_is_a_note_on_the_curve():
    curves = curves_of(data("wrong_count.py"), points=11)
    assert curves.hand_written.df is None
    assert "incorrect number of gradients" in curves.hand_written.df_note
    assert curves.reference(AUTOGRAD_OF_FORWARD).df is not None


def test_curves_are_one_batched_call_not_a_loop_over_points(tmp_path):
    counter = tmp_path / "counted.py"
    counter.write_text(
        '"""Counts forward calls."""\n'
        "from torch.autograd import Function\n"
        "CALLS = []\n"
        "class Counted(Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        CALLS.append(x.numel())\n"
        "        ctx.save_for_backward(x)\n"
        "        return x * x\n"
        "    @staticmethod\n"
        "    def backward(ctx, g):\n"
        "        (x,) = ctx.saved_tensors\n"
        "        return 2 * x * g\n",
        encoding="utf-8",
    )
    for points in (11, 10_001):
        loaded = load_function_file(str(counter))
        compute_curves(loaded.functions[0], points=points)
        calls = loaded.module.CALLS
        on_the_grid = [n for n in calls if n == points]
        assert len(on_the_grid) <= 8, f"{len(on_the_grid)} forward calls for {points} points"
        # the kink search evaluates its own grid, also in a few batched calls, never one per point
        assert len(calls) - len(on_the_grid) <= 8 and all(n == points or n > 100 for n in calls), calls


def function_of(path, name):
    return load_function_file(path).function(name)


def test_a_forward_autograd_cannot_follow_is_a_note_on_its_reference_not_a_failure():
    curves = curves_of(data("numpy_forward.py"), domain=(-2.0, 2.0), points=101)
    autograd = next(r for r in curves.references if r.label == AUTOGRAD_OF_FORWARD)
    assert autograd.f is None and "numpy" in autograd.df_note
    assert np.allclose(curves.hand_written.df, np.exp(curves.x)), "the hand-written curve is unaffected"
    fd = next(r for r in curves.references if r.label == FINITE_DIFFERENCES)
    assert np.allclose(fd.df, curves.hand_written.df, rtol=1e-6)


def test_f2_that_is_zero_only_because_backward_left_autograd_says_why():
    curves = curves_of(data("numpy_backward.py"), domain=(-2.0, 2.0), points=101)
    assert np.all(curves.hand_written.d2f == 0)
    assert any("does not depend on x through autograd" in note for note in curves.notes)
    plain = curves_of(builtin("relu.py"), points=101)  # f″ = 0 for real: no note
    assert not any("through autograd" in note for note in plain.notes)


def test_a_function_that_keeps_its_shape_but_is_not_elementwise_is_noted():
    curves = curves_of(data("cumsum.py"), points=101)
    assert any("not elementwise" in note and '"elementwise": False' in note for note in curves.notes)
    for path in BUILTIN_FILES:
        spec = load_function_file(path).functions[0]
        if spec.options.elementwise:
            assert not any("not elementwise" in n for n in compute_curves(spec, points=101).notes), path


def test_odd_but_valid_forward_signatures_plot():
    varargs = function_of(data("odd_signatures.py"), "SumOfSquares")
    assert varargs.arg_names == ["xs"]
    curves = compute_curves(varargs, domain=(-1.0, 1.0), points=21)
    assert np.allclose(curves.hand_written.df, 2 * curves.x)
    indexed = compute_curves(function_of(data("odd_signatures.py"), "SortWithIndices"), points=21)
    assert indexed.hand_written.df is not None and np.all(np.isfinite(indexed.hand_written.df)), "follows values, not indices"


def test_a_forward_that_returns_numpy_names_forward_and_the_fix():
    with pytest.raises(UserCodeError) as info:
        compute_curves(function_of(data("odd_signatures.py"), "ReturnsNumpy"), points=21)
    problem = info.value.problem
    assert "not a tensor" in problem.message and "ReturnsNumpy.forward" in problem.message
    assert problem.location is not None and problem.location.lineno == 45 and "from_numpy" in problem.hint


def test_without_double_backward_f2_comes_by_a_second_road_that_agrees():
    curves = curves_of(builtin("cube_once_differentiable.py"), points=101)
    assert curves.hand_written.d2f is None
    road = curves.reference("jacfwd(jacrev) of forward")
    assert np.allclose(road.d2f, 6 * curves.x) and np.allclose(road.df, 3 * curves.x**2)
    assert not any("roads to f\u2033" in note for note in curves.notes)


def test_roads_to_f2_that_disagree_are_flagged_with_the_numbers():
    curves = compute_curves(load_function_file(data("roads_disagree.py")).function("Cube"), points=101)
    (note,) = [n for n in curves.notes if "roads to f\u2033" in n]
    assert "autograd's double backward gives -30 and jacfwd(jacrev) gives -35 at x = -5" in note
    assert "a wrong jvp" in note


def test_a_function_with_double_backward_gets_no_second_road():
    curves = curves_of(builtin("square.py"), points=11)
    assert "jacfwd(jacrev) of forward" not in [r.label for r in curves.references]
