"""exp with a right backward and a jvp whose sign is flipped: backward-only checks pass, jvp and jacfwd must fail."""
import torch
from torch.autograd import Function


class WrongJvpExp(Function):
    generate_vmap_rule = True

    @staticmethod
    def forward(x):
        return torch.exp(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y

    @staticmethod
    def jvp(ctx, x_t):
        (y,) = ctx.saved_tensors
        return -y * x_t
