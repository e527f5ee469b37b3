"""A custom op made of torch ops whose registered backward has the wrong sign."""
import torch


@torch.library.custom_op("gradlab_tests::square_wrong", mutates_args=())
def square(x: torch.Tensor) -> torch.Tensor:
    return x * x


@square.register_fake
def _(x):
    return torch.empty_like(x)


def setup_context(ctx, inputs, output):
    ctx.save_for_backward(inputs[0])


def backward(ctx, grad):
    (x,) = ctx.saved_tensors
    return -2 * x * grad


square.register_autograd(backward, setup_context=setup_context)
