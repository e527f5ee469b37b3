"""A file that raises while loading."""
import torch

SCALE = 1 / 0
