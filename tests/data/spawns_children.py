"""A Function whose module and forward (its first three calls) start `sleep` processes that outlive them.

The sleep's argument is $GRADLAB_TEST_SLEEP (default 1000), so a test can find
exactly the processes it caused.
"""
import os
import subprocess

from torch.autograd import Function

SECONDS = os.environ.get("GRADLAB_TEST_SLEEP", "1000")
subprocess.Popen(["sleep", SECONDS])
calls = []


class Doubles(Function):
    @staticmethod
    def forward(ctx, x):
        if len(calls) < 3:
            calls.append(subprocess.Popen(["sleep", SECONDS]))
        return x * 2

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * 2
