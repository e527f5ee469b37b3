"""Shapes of forward people write: *args, an 'inputs' option returning one tensor, (indices, values) outputs."""
import numpy as np
import torch
from torch.autograd import Function


class SumOfSquares(Function):
    @staticmethod
    def forward(ctx, *xs):
        ctx.save_for_backward(*xs)
        return sum(x * x for x in xs)

    @staticmethod
    def backward(ctx, grad_output):
        return tuple(2 * x * grad_output for x in ctx.saved_tensors)


class OneTensorInputs(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 2 * x * grad_output


class SortWithIndices(Function):
    @staticmethod
    def forward(ctx, x):
        values, indices = torch.sort(x * 2, dim=-1)
        ctx.save_for_backward(indices)
        ctx.mark_non_differentiable(indices)
        return indices, values

    @staticmethod
    def backward(ctx, grad_indices, grad_values):
        (indices,) = ctx.saved_tensors
        return torch.zeros_like(grad_values).scatter(-1, indices, grad_values) * 2


class ReturnsNumpy(Function):
    @staticmethod
    def forward(ctx, x):
        return np.exp(x.numpy())

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


EXPLORE = {
    "OneTensorInputs": {"inputs": lambda shape, dtype, device: torch.rand(shape, dtype=dtype, device=device) + 0.5},
    "SortWithIndices": {"elementwise": False},
}
