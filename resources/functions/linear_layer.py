"""LinearFunction input @ weight.T: a non-elementwise Function with two grads.

Computes ``output = input @ weight.T`` for an input of shape (N, in) and a
weight of shape (out, in), the core of ``torch.nn.Linear``. The output mixes
elements, so its Jacobian is a full matrix, not a diagonal; gradlab plots it
along a 1-D line through the example input and shows directional
derivatives.

Backward is the matrix chain rule: ``grad_input = grad @ weight`` and
``grad_weight = grad.T @ input``; each has the shape of the argument it
belongs to. ``ctx.needs_input_grad`` lets backward skip a gradient nobody
asked for and return None in its place.

gradcheck passes; gradgradcheck passes (backward is bilinear in grad and
the saved tensors, all through differentiable matmuls).
"""
import torch
from torch.autograd import Function


class LinearFunction(Function):
    @staticmethod
    def forward(ctx, input, weight):
        ctx.save_for_backward(input, weight)
        return input @ weight.t()

    @staticmethod
    def backward(ctx, grad_output):
        input, weight = ctx.saved_tensors
        grad_input = grad_weight = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output @ weight
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t() @ input
        return grad_input, grad_weight


EXPLORE = {
    "LinearFunction": {
        "elementwise": False,
        # Ignores `shape`: a batch of 4 inputs with 3 features, 2 outputs.
        "inputs": lambda shape, dtype, device: (
            torch.randn(4, 3, dtype=dtype, device=device),
            torch.randn(2, 3, dtype=dtype, device=device),
        ),
        "compare": {"F.linear": torch.nn.functional.linear},
    },
}
