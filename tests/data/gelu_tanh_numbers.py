"""GELU (tanh form) whose backward uses tanh saved from forward: f' is exact, f'' is not."""
import math

import torch
from torch.autograd import Function

C = math.sqrt(2 / math.pi)


class GeluSavedTanh(Function):
    @staticmethod
    def forward(ctx, x):
        tanh_inner = torch.tanh(C * (x + 0.044715 * x ** 3))
        ctx.save_for_backward(x, tanh_inner)
        return 0.5 * x * (1 + tanh_inner)

    @staticmethod
    def backward(ctx, grad_output):
        x, tanh_inner = ctx.saved_tensors
        inner_dx = C * (1 + 3 * 0.044715 * x ** 2)
        return grad_output * (0.5 * (1 + tanh_inner) + 0.5 * x * (1 - tanh_inner ** 2) * inner_dx)


EXPLORE = {"GeluSavedTanh": {"domain": (-3.0, 3.0)}}
