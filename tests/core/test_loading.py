"""Loading function files: discovery, both styles, options, the legacy style, bad input."""

import linecache

import pytest

from gradlab.core.loading import load_function_file
from gradlab.model.problems import UserCodeError
from tests.helpers import BUILTIN_FILES, builtin, data


@pytest.mark.parametrize("path", BUILTIN_FILES, ids=lambda p: p.stem)
def test_every_builtin_loads_with_a_description(path):
    loaded = load_function_file(str(path))
    assert loaded.description, "the first docstring line is the picker's description"
    assert loaded.functions
    for spec in loaded.functions:
        assert spec.lineno > 0
        assert spec.arg_names


def test_the_builtins_cover_the_tutorial_and_more():
    names = {p.stem for p in BUILTIN_FILES}
    assert {"multiply_add", "sigmoid", "square", "softplus", "tanh", "relu"} <= names
    assert len(names) >= 10


def test_functions_are_found_in_definition_order_and_imports_do_not_count():
    loaded = load_function_file(data("two_functions.py"))
    assert [s.name for s in loaded.functions] == ["First", "Second"]
    first, second = loaded.functions
    assert not first.uses_setup_context and first.arg_names == ["x"]
    assert second.uses_setup_context and second.arg_names == ["x"]
    assert first.info().description == "The first."
    assert second.info().description == ""


def test_defaults_when_there_is_no_explore():
    spec = load_function_file(data("two_functions.py")).functions[0]
    info = spec.info()
    assert info.domain == (-5.0, 5.0)
    assert info.sweep == 0
    assert info.fixed == [1.0]
    assert info.elementwise is True
    assert info.compare == [] and not info.has_inputs


def test_explore_options_are_read():
    spec = load_function_file(builtin("multiply_add.py")).function("MultiplyAdd")
    assert spec.arg_names == ["w", "x", "b"]
    assert spec.options.sweep == 1
    assert spec.options.fixed == [0.5, 1.0, 0.25]
    sigmoid = load_function_file(builtin("sigmoid.py")).function("Sigmoid")
    assert sigmoid.options.domain == (-6.0, 6.0)
    assert list(sigmoid.options.compare) == ["torch.sigmoid"]
    linear = load_function_file(builtin("linear_layer.py")).functions[0]
    assert linear.options.elementwise is False and linear.options.inputs is not None


def test_the_legacy_tutorial_style_loads():
    loaded = load_function_file(builtin("multiply_add.py"))
    source = open(builtin("multiply_add.py"), encoding="utf-8").read()
    assert "saved_variables" in source and "Variable" in source and "print(" in source
    assert loaded.functions[0].name == "MultiplyAdd"


def test_an_unsaved_buffer_runs_instead_of_the_file_and_tracebacks_show_its_lines(tmp_path):
    path = tmp_path / "draft.py"
    path.write_text('"""On disk."""\n', encoding="utf-8")
    buffer = (
        '"""In the editor."""\n'
        "from torch.autograd import Function\n"
        "\n"
        "class Draft(Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        return x * 3\n"
        "\n"
        "    @staticmethod\n"
        "    def backward(ctx, g):\n"
        "        return g * 3\n"
        "\n"
        "boom = 1 / 0  # the buffer's line 13\n"
    )
    with pytest.raises(UserCodeError) as info:
        load_function_file(str(path), text=buffer)
    problem = info.value.problem
    assert problem.location.lineno == 13
    assert "boom = 1 / 0" in problem.traceback
    assert linecache.getline(str(path), 13).startswith("boom")
    loaded = load_function_file(str(path), text=buffer.replace("boom = 1 / 0", "boom = 1"))
    assert loaded.description == "In the editor."


@pytest.mark.parametrize(
    ("name", "kind", "line", "words"),
    [
        ("syntax_error.py", "syntax", 6, "SyntaxError"),
        ("curly_quotes.py", "syntax", 8, "typographic quotes"),
        ("raises_on_load.py", "load", 4, "ZeroDivisionError"),
        ("bad_options.py", "options", 17, "did you mean 'domain'"),
    ],
)
def test_bad_files_name_the_line(name, kind, line, words):
    with pytest.raises(UserCodeError) as info:
        load_function_file(data(name))
    problem = info.value.problem
    assert problem.kind == kind
    assert problem.location.lineno == line
    assert f"{name}:{line}" in problem.message
    assert words in str(problem)


def test_a_file_without_a_function_says_so():
    with pytest.raises(UserCodeError) as info:
        load_function_file(data("no_function.py"))
    assert info.value.problem.kind == "no_function"
    assert "defines no torch.autograd.Function" in info.value.problem.message


def test_a_file_that_is_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "latin1.py"
    path.write_bytes(b'"""ok"""\nx = 1\nname = "caf\xe9"\n')
    with pytest.raises(UserCodeError) as info:
        load_function_file(str(path))
    assert info.value.problem.location.lineno == 3
    assert "not UTF-8" in info.value.problem.message


def test_explore_naming_a_missing_class_is_a_warning_not_an_error(tmp_path):
    path = tmp_path / "typo.py"
    path.write_text(
        open(data("two_functions.py"), encoding="utf-8").read() + '\nEXPLORE = {"Frist": {"domain": (0, 1)}}\n',
        encoding="utf-8",
    )
    loaded = load_function_file(str(path))
    assert any("'Frist'" in w and "did you mean 'First'" in w for w in loaded.captured.warnings)


def test_unknown_function_name_suggests_the_close_one():
    loaded = load_function_file(data("two_functions.py"))
    with pytest.raises(UserCodeError) as info:
        loaded.function("Frist")
    assert "did you mean 'First'" in info.value.problem.hint


def test_shapes_and_sizes_are_parsed_once_for_cli_and_panels():
    from gradlab.model.text_args import parse_shape, parse_sizes

    assert parse_shape("3, 4") == parse_shape("3x4") == (3, 4)
    assert parse_sizes("100, 1e4") == (100, 10_000)
    assert parse_sizes("100x100; 1e6") == parse_sizes("100\u00d7100, 1e6") == ((100, 100), 1_000_000)
    for bad in ("", "0, 3", "a, b"):
        with pytest.raises(ValueError):
            parse_shape(bad)
        with pytest.raises(ValueError):
            parse_sizes(bad)
    with pytest.raises(ValueError, match="100x100"):
        parse_sizes("100x0")


def test_an_inputs_option_returning_one_tensor_gives_one_argument():
    from gradlab.core.invoke import make_inputs

    spec = load_function_file(data("odd_signatures.py")).function("OneTensorInputs")
    (x,) = make_inputs(spec, (3, 4))
    assert x.shape == (3, 4) and x.requires_grad


@pytest.mark.parametrize(
    ("option", "words"),
    [('"fixed": None', "'fixed' values must be numbers"), ('"elementwise": "False"', "'elementwise' must be True or False")],
)
def test_option_values_of_the_wrong_kind_name_the_explore_line(tmp_path, option, words):
    path = tmp_path / "bad.py"
    path.write_text(
        "from torch.autograd import Function\n\n\nclass Twice(Function):\n"
        "    @staticmethod\n    def forward(ctx, x):\n        return 2 * x\n\n"
        "    @staticmethod\n    def backward(ctx, g):\n        return 2 * g\n\n\n"
        f'EXPLORE = {{"Twice": {{{option}}}}}\n',
        encoding="utf-8",
    )
    with pytest.raises(UserCodeError) as info:
        load_function_file(str(path))
    assert words in info.value.problem.message and f"{path}:14" in info.value.problem.message


PLANTED_USER = '''
import planted_beside_me
from torch.autograd import Function


class Same(Function):
    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        return g
'''


def test_an_unsaved_buffer_never_imports_a_module_planted_in_its_folder(tmp_path):
    (tmp_path / "planted_beside_me.py").write_text("raise SystemExit('planted code ran')\n", encoding="utf-8")
    with pytest.raises(UserCodeError) as caught:
        load_function_file(str(tmp_path / "untitled-1.py"), PLANTED_USER)  # a name only: never written
    assert "No module named 'planted_beside_me'" in caught.value.problem.message


def test_a_saved_file_imports_its_own_sibling_modules(tmp_path):
    (tmp_path / "planted_beside_me.py").write_text("VALUE = 1\n", encoding="utf-8")
    path = tmp_path / "mine.py"
    path.write_text(PLANTED_USER, encoding="utf-8")
    assert [f.name for f in load_function_file(str(path)).functions] == ["Same"]


def test_a_fifo_is_refused_without_blocking(tmp_path):
    import os

    from gradlab.model.source_text import read_source

    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    with pytest.raises(UserCodeError) as caught:
        read_source(str(fifo))  # open() would block here forever
    assert "not a regular file (a FIFO)" in caught.value.problem.message
