"""ReLU checked on inputs that include its kink at 0 exactly."""
import torch
from torch.autograd import Function


class ReLUAtZero(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * (x > 0).to(grad_output.dtype)


EXPLORE = {
    "ReLUAtZero": {
        "inputs": lambda shape, dtype, device: (torch.tensor([[0.0, 0.5, -0.5, 1.5]], dtype=dtype, device=device),),
    },
}
