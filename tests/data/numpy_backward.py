"""A cube whose backward computes 3x² in numpy: f′ is right, f″ silently loses its dependence on x."""
import torch
from torch.autograd import Function


class NumpyCube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.from_numpy(3 * x.detach().numpy() ** 2)
