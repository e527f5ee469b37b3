"""Export as pytest: ``gradlab check --export-test`` writes a test file that runs with torch and pytest, without gradlab."""

import os
import shutil
import subprocess
import sys

from gradlab.cli import main
from gradlab.model.export_test import pytest_file_text
from gradlab.model.options import CheckOptions
from tests.cli.test_cli_edges import gradlab
from tests.helpers import builtin

#: Runs pytest with the arguments that follow ``-c CODE``, in a process where ``import gradlab`` fails.
WITHOUT_GRADLAB = "import sys; sys.modules['gradlab'] = None; import pytest; sys.exit(pytest.main(sys.argv[1:]))"


def run_without_gradlab(folder, *files):
    """Run pytest on ``files`` in ``folder`` (which gets an empty pytest.ini), with gradlab unimportable and no plugins."""
    (folder / "pytest.ini").write_text("[pytest]\n")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    command = [sys.executable, "-c", WITHOUT_GRADLAB, "-q", "-rA", "-p", "no:cacheprovider", "--tb=line", *map(str, files)]
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=120)


def test_exported_tests_run_without_gradlab_the_right_backward_passes_the_wrong_one_fails(tmp_path):
    """``check --export-test`` and three exports of sibling-folder files (imported by relative paths), run in one pytest.

    Exp has every transform; Cube has no double backward and no transform,
    so those tests skip with PyTorch's reason; WrongSigmoid fails.
    """
    (tmp_path / "functions").mkdir()
    tests = tmp_path / "tests"
    tests.mkdir()
    out = tests / "test_sigmoid.py"
    result = gradlab("check", builtin("sigmoid.py"), "--seed", "3", "--export-test", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"wrote {out}" in result.stdout
    text = out.read_text()
    assert "FUNCTIONS = ['Sigmoid']" in text and "SEED = 3" in text and "'eps': 1e-06" in text and "pytest test_sigmoid.py" in text
    written = [out.name]
    for name, functions, options in (
        ("wrong_backward_sigmoid.py", ["WrongSigmoid"], CheckOptions()),
        ("exp_setup_context.py", ["Exp"], CheckOptions(forward_ad=True, batched_grad=True, transforms=True)),
        ("cube_once_differentiable.py", ["Cube"], CheckOptions(dtype="float32", eps=1e-3, atol=1e-3, rtol=1e-2, transforms=True)),
    ):
        source = shutil.copy(builtin(name), tmp_path / "functions" / name)
        out = tests / f"test_{name}"
        out.write_text(pytest_file_text(source, functions, options, test_path=str(out)))
        assert f"'../functions/{name}'" in out.read_text()
        written.append(out.name)
    for name in written:
        text = (tests / name).read_text()
        assert "import gradlab" not in text and "from gradlab" not in text
    ran = run_without_gradlab(tests, *written)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    lines = set(ran.stdout.splitlines())
    passed = {line.split()[1] for line in lines if line.startswith("PASSED ")}
    assert {"test_sigmoid.py::test_gradcheck[Sigmoid]", "test_sigmoid.py::test_gradgradcheck[Sigmoid]"} <= passed
    assert {f"test_exp_setup_context.py::test_{check}[Exp]" for check in ("gradcheck", "gradgradcheck", "forward_ad", "batched_grad")} <= passed
    assert {f"test_exp_setup_context.py::test_transform[Exp-{t}]" for t in ("vmap", "jvp", "jacrev", "jacfwd", "hessian")} <= passed
    assert "test_cube_once_differentiable.py::test_gradcheck[Cube]" in passed
    failed = {line.split()[1] for line in lines if line.startswith("FAILED ")}
    assert failed == {"test_wrong_backward_sigmoid.py::test_gradcheck[WrongSigmoid]", "test_wrong_backward_sigmoid.py::test_gradgradcheck[WrongSigmoid]"}
    skipped = [line for line in lines if line.startswith("SKIPPED")]
    assert any("double backward is not supported: trying to differentiate twice" in line for line in skipped), ran.stdout
    assert any("PyTorch refuses jacrev for Cube" in line and "setup_context" in line for line in skipped), ran.stdout


def test_export_test_refuses_a_folder_a_missing_folder_and_a_fifo_before_running(tmp_path, capsys):
    os.mkfifo(tmp_path / "fifo.py")
    for target, why in ((tmp_path, "not a regular file"), (tmp_path / "nowhere" / "t.py", "does not exist"), (tmp_path / "fifo.py", "not a regular file")):
        assert main(["check", builtin("sigmoid.py"), "--export-test", str(target)]) == 2
        assert why in capsys.readouterr().err
