"""Cube x ** 3 with a backward marked @once_differentiable.

Computes ``y = x ** 3``; backward returns ``3 * x ** 2 * grad``. The
decorator ``@once_differentiable`` runs backward with autograd switched off
and marks its results as not differentiable again. Use it when a backward
cannot be differentiated (it calls numpy, a C extension, in-place tricks),
so a second derivative is refused instead of silently built from a broken
graph.

Here the formula would be differentiable, so the decorator is the only
thing in the way: f'' = 6x exists, and autograd of forward still finds it,
but it is unavailable from the hand-written backward.

gradcheck passes. gradlab reports gradgradcheck as *not supported*, with
PyTorch's reason ("trying to differentiate twice a function that was marked
with @once_differentiable"), and f'' from the hand-written backward as
unavailable. Run bare ``torch.autograd.gradgradcheck`` on it and you get a
confusing "Jacobian mismatch" instead: the decorator's error node hangs off
a detached copy of backward's result, so differentiating with respect to x
never reaches it. gradlab asks the node itself.
"""
from torch.autograd import Function
from torch.autograd.function import once_differentiable


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * grad_output


EXPLORE = {
    "Cube": {
        "domain": (-2.0, 2.0),
        "compare": {"x ** 3": lambda x: x ** 3},
    },
}
