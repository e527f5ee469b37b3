"""A square with long names: file, Function and description, for the layout tests."""
from torch.autograd import Function


class ASquareWhoseClassNameIsLongEnoughToPushAnyFixedWidthLayoutOffTheScreen(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 2 * x * grad_output
