"""Paths used across the tests."""

from pathlib import Path

from gradlab.model.builtins import builtin_function_files, builtin_functions_dir

DATA = Path(__file__).parent / "data"
BUILTIN_FILES = builtin_function_files()


def builtin(name: str) -> str:
    """Path of a built-in function file by file name."""
    return str(builtin_functions_dir() / name)


def data(name: str) -> str:
    """Path of a test data file by file name."""
    return str(DATA / name)
