"""The tutorial's two ways of calling a Function."""

import numpy as np

from gradlab.core.calls import call_styles
from gradlab.core.loading import load_function_file
from tests.helpers import builtin


def test_multiply_add_gives_the_tutorials_values():
    spec = load_function_file(builtin("multiply_add.py")).function("MultiplyAdd")
    w = 0.7655
    result = call_styles(spec, values=(w, 1.0, 0.3), requires_grad=(True, False, True))
    assert result.arg_names == ["w", "x", "b"]
    # (a) apply, then backward(): x does not require grad, so its .grad is None
    grad_w, grad_x, grad_b = result.grads
    assert grad_x is None
    np.testing.assert_allclose(grad_w, [1.0])
    np.testing.assert_allclose(grad_b, [1.0])
    # (b) grad_fn.apply(ones): the raw tuple, x's gradient included
    raw_w, raw_x, raw_b = result.raw_backward
    np.testing.assert_allclose(raw_w, [1.0])
    np.testing.assert_allclose(raw_x, [w], rtol=1e-6)
    np.testing.assert_allclose(raw_b, [1.0])
    assert result.requires_grad == [True, False, True]
    assert result.captured.stdout.count("type in forward") == 2
    assert result.captured.stdout.count("type in backward") == 2


def test_by_default_every_floating_input_requires_grad():
    spec = load_function_file(builtin("sigmoid.py")).functions[0]
    result = call_styles(spec)
    assert result.requires_grad == [True]
    np.testing.assert_allclose(result.grads[0], result.raw_backward[0])
