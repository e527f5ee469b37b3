"""Which other Functions a benchmark offers to time against the current one."""

from gradlab.core.loading import load_function_file
from gradlab.model.other_functions import other_functions
from tests.helpers import builtin, data


def test_same_arguments_in_this_file_and_in_other_loaded_files_with_readable_labels():
    versions = load_function_file(data("sigmoid_versions.py")).info()
    sigmoid = load_function_file(builtin("sigmoid.py")).info()
    multiply_add = load_function_file(builtin("multiply_add.py")).info()
    current = versions.functions[0]
    found = other_functions(versions.path, current, {versions.path: versions, sigmoid.path: sigmoid, multiply_add.path: multiply_add})
    assert found == {
        "SigmoidSavesInput.apply": (versions.path, "SigmoidSavesInput"),
        "Sigmoid.apply (sigmoid.py)": (sigmoid.path, "Sigmoid"),
    }, "itself, the two-argument Scale and the three-argument MultiplyAdd are left out"
