"""A once_differentiable Function whose forward calls a helper Function with a wrong jvp: the two roads to f″ disagree."""
import torch
from torch.autograd import Function
from torch.autograd.function import once_differentiable


class InnerSquare(Function):
    generate_vmap_rule = True

    @staticmethod
    def forward(x):
        return x * x

    @staticmethod
    def setup_context(ctx, inputs, output):
        (x,) = inputs
        ctx.save_for_backward(x)
        ctx.x = x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * x * grad

    @staticmethod
    def jvp(ctx, x_t):
        return 3 * ctx.x * x_t  # wrong: 2 x x_t


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return InnerSquare.apply(x) * x

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x * x * grad
