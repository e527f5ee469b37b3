"""Square x ** 2 with a differentiable backward: the higher-order example.

Computes ``y = x ** 2``. Backward returns ``2 * x * grad_output`` using only
differentiable tensor ops on the saved input, so autograd can differentiate
the backward itself: ``torch.autograd.grad(y, x, create_graph=True)`` gives
f'(x) = 2x as a tensor with a graph, and differentiating that again gives
f''(x) = 2.

This is the tutorial's higher-order derivative example written as a
Function: at x = 5, f' = 10 and f'' = 2. Had backward detached x or left
the tensor world (``.item()``, numpy), the second derivative would be lost.

gradcheck passes; gradgradcheck passes. The f'' plot is the constant 2.
"""
from torch.autograd import Function


class Square(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 2

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 2 * x * grad_output


EXPLORE = {
    "Square": {
        "compare": {"x ** 2": lambda x: x ** 2},
    },
}
