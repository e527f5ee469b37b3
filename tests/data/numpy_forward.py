"""exp through numpy: the hand-written backward is fine, autograd of forward cannot follow numpy."""
import numpy as np
import torch
from torch.autograd import Function


class NumpyExp(Function):
    @staticmethod
    def forward(ctx, x):
        y = torch.from_numpy(np.exp(x.numpy()))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y
