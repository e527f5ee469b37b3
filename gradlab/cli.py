"""The command line: ``gradlab [FILE]``, ``gradlab check``, ``gradlab plot``.

Every command goes through the engine, so a file that hangs or kills its
interpreter ends with exit status 2 and a message, never a hung CLI.

Exit status: 0 all checks passed; 1 a check failed; 2 the file could not be used.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
from dataclasses import asdict

from gradlab.engine import BenchRequest, CheckRequest, CurvesRequest, Engine, EngineError, LoadRequest, OtherFunction, Source
from gradlab.engine.client import user_location
from gradlab.model.baseline import (
    changes_table,
    compare,
    environment_differences,
    parse_fraction,
    read_baseline,
    regressions,
    summary,
    write_baseline,
)
from gradlab.model.bench_table import compare_tables
from gradlab.model.bench_warnings import shape_warnings, untimed
from gradlab.model.cost_model import why_lines
from gradlab.model.curve_table import write_csv
from gradlab.model.export_test import export_problem, pytest_file_text, write_pytest_file
from gradlab.model.instruction_table import instruction_table
from gradlab.model.json_text import json_text
from gradlab.model.lint import lint_source
from gradlab.model.options import MAX_POINTS, MIN_POINTS, BenchOptions, CheckOptions, add_arguments, from_arguments, number_reader
from gradlab.model.problems import UserCodeError
from gradlab.model.progress import Progress
from gradlab.model.results import BenchmarkRow, CheckResult, FunctionChecks, Problem, verdict_is_failure
from gradlab.model.source_text import read_source
from gradlab.model.text_args import parse_shape, parse_sizes, shape_label
from gradlab.model.transforms import transforms_text, transforms_to_json
from gradlab.model.words import counted

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2
COMMANDS = ("check", "plot", "bench")

#: Arguments that are numbers, not flags, although they start with "-": -1, -.5, -1e-3, -inf.
_NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|infinity|nan)$", re.IGNORECASE)
#: ``--timeout``: seconds, finite and above 0.
_seconds = number_reader(float, above=0.0)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that reads ``-1e-3`` as a value, as it reads ``-1``.

    argparse takes an argument for a negative number only when it matches its
    private ``_negative_number_matcher`` (no exponent before Python 3.13);
    this parser widens that pattern.  None of gradlab's flags looks like a number.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_NUMBER


class _Domain(argparse.Action):
    """``--domain LO HI``: two finite numbers with LO < HI."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        low, high = values
        if not low < high:
            raise argparse.ArgumentError(self, f"LO must be below HI, got {low:g} {high:g}")
        setattr(namespace, self.dest, (low, high))


def _check_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gradlab check", description="Run gradcheck and gradgradcheck on every Function of FILE.")
    parser.add_argument("file")
    parser.add_argument("--function", help="check only this Function (class name)")
    add_arguments(parser, CheckOptions, parsers={"shape": _shape})
    parser.add_argument("--timeout", type=_seconds, default=30.0, help="seconds per Function before giving up (default 30)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument(
        "--export-test", metavar="OUT.py", help="also write a pytest file that reruns these checks with plain PyTorch (no gradlab needed)"
    )
    return parser


def _shape(text: str) -> tuple[int, ...]:
    try:
        return parse_shape(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _plot_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gradlab plot", description="Write f, f′, f″ of a Function and its references to PNG, SVG or CSV.")
    parser.add_argument("file")
    parser.add_argument("--function", help="the Function to plot (default: the first)")
    parser.add_argument(
        "--domain",
        type=number_reader(float),
        nargs=2,
        metavar=("LO", "HI"),
        action=_Domain,
        help="x range, LO < HI (default: the Function's domain)",
    )
    parser.add_argument(
        "--points",
        type=number_reader(int, minimum=MIN_POINTS, maximum=MAX_POINTS),
        default=1001,
        help=f"grid points, {MIN_POINTS} to {MAX_POINTS:,} (default 1001)",
    )
    parser.add_argument("--timeout", type=_seconds, default=30.0, help="seconds before giving up (default 30)")
    parser.add_argument("--out", required=True, help="OUT.png, OUT.svg or OUT.csv")
    return parser


def _sizes(text: str) -> tuple[int | tuple[int, ...], ...]:
    try:
        return parse_sizes(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _bench_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gradlab bench",
        description="Time the custom Function against autograd of its forward and its compare entries (torch.utils.benchmark).",
        epilog=_BENCH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file")
    parser.add_argument("--function", help="the Function to benchmark (default: the first)")
    add_arguments(parser, BenchOptions, parsers={"sizes": _sizes})
    parser.add_argument(
        "--against",
        action="append",
        default=[],
        metavar="OTHER.py",
        help="also time the Functions of OTHER.py that take the same arguments (FILE itself: its other Functions); repeatable",
    )
    parser.add_argument("--timeout", type=_seconds, default=600.0, help="seconds before giving up (default 600)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--out", help="also write the report to this JSON file (open it in the app's benchmark panel)")
    parser.add_argument("--save-baseline", metavar="BASE.json", help="also write the report as a baseline for a later --compare")
    parser.add_argument("--compare", metavar="BASE.json", help="compare each cell with this baseline (or --out report) and print the changes")
    parser.add_argument(
        "--fail-slower",
        type=_fraction,
        metavar="FRACTION",
        help="with --compare: exit 1 when a cell is slower by more than this (10%% or 0.1) and than its noise",
    )
    return parser


_BENCH_EPILOG = """\
exit status:
  0  every requested cell was timed (and no --fail-slower regression)
  1  a requested cell was not timed (it failed, or its results differ from the
     custom Function's), or --compare --fail-slower found a regression
  2  nothing could be timed, or FILE, the --compare baseline or an output file
     could not be used

baselines, for CI:
  gradlab bench f.py --save-baseline base.json
  gradlab bench f.py --compare base.json --fail-slower 10%
  Cells match by implementation, mode, shape, dtype and device.  A cell is a
  regression when new/old - 1 exceeds both FRACTION and the two cells' summed
  relative IQR; cells on one side only are listed, and are no failure.
"""


def _fraction(text: str) -> float:
    try:
        return parse_fraction(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run_bench(args: argparse.Namespace) -> int:
    """``gradlab bench``: rows are printed (to stderr) as they are measured, then the table.

    Exit status: 0 every cell timed; 1 a cell not timed, or a ``--fail-slower``
    regression; 2 nothing timed, or the file, the baseline or an output unusable.
    """
    if args.fail_slower is not None and not args.compare:
        _error("--fail-slower needs --compare BASE.json")
        return EXIT_UNUSABLE
    for flag, path in (("--out", args.out), ("--save-baseline", args.save_baseline)):
        if path and (problem := _unwritable(path)):
            _error(problem.replace("--out", flag, 1))
            return EXIT_UNUSABLE
    try:  # before the run: a wrong path should not cost a benchmark
        baseline = read_baseline(args.compare) if args.compare else None
    except ValueError as exc:
        _error(f"--compare {exc}")
        return EXIT_UNUSABLE
    request = BenchRequest(
        Source(os.path.abspath(args.file)),
        args.function,
        options=from_arguments(BenchOptions, args),
        others=tuple(OtherFunction(Source(os.path.abspath(path))) for path in args.against),
    )

    def on_progress(step: Progress) -> None:
        done, total, item = step.done, step.total, step.item
        if isinstance(item, BenchmarkRow):
            time_text = "not timed: " + item.error if item.error else f"{item.median_s * 1e6:.4g} \u00b5s"
            asked = f" ({shape_label(item.requested)} asked)" if item.requested else ""
            print(f"[{done}/{total}] {item.implementation} @ {shape_label(item.dims)}{asked}: {time_text}", file=sys.stderr)

    with Engine(timeout=args.timeout) as engine:
        try:
            report = engine.request(request, on_progress=on_progress)
        except EngineError as exc:
            _error(str(_blame_against(exc.problem, request)))
            return EXIT_UNUSABLE
    data = report.to_json()
    status = EXIT_OK
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as handle:
                handle.write(json_text(data))
        except OSError as exc:  # the results still reach stdout below
            _error(f"--out {args.out}: {exc.strerror or exc}")
            status = EXIT_UNUSABLE
    if args.save_baseline:
        try:
            write_baseline(report, args.save_baseline)
        except OSError as exc:
            _error(f"--save-baseline {args.save_baseline}: {exc.strerror or exc}")
            status = EXIT_UNUSABLE
    changes = None if baseline is None else compare(report, baseline, args.fail_slower or 0.0)
    if args.json:
        if changes is not None:
            data["compare"] = {
                "baseline": args.compare,
                "fail_slower": args.fail_slower,
                "environment_differences": environment_differences(baseline.environment, report.environment),
                "changes": [{**asdict(c), "change": c.change} for c in changes],
            }
        print(json_text(data))
        return max(status, _bench_verdict(report, baseline, changes, args))
    env = report.environment
    print(f"{report.function} — {', '.join(request.options.modes)}, {env['dtype']}, {env['device']} ({env['device_name']}), {env['threads']} thread{'' if env['threads'] == 1 else 's'}, torch {env['torch']}")
    for table in compare_tables(report.rows):
        print(table.render())
    counted = instruction_table(report.rows)
    if counted:
        print(counted)
    for line in why_lines(report):
        print(f"  {line}")
    for row in report.rows:
        if row.error:
            print(f"  {row.implementation} @ {shape_label(row.dims)}: {row.error}")
    for note in report.notes:
        print(f"  note: {note}")
    return max(status, _bench_verdict(report, baseline, changes, args))


def _bench_verdict(report, baseline, changes, args: argparse.Namespace) -> int:
    """Print the shape warnings and the changes against the baseline; return the exit status of the cells and changes.

    They go to stdout after the table, or to stderr with ``--json`` (whose
    object carries the changes).  Whatever failed is said on stderr, in one line.
    """
    out = sys.stderr if args.json else sys.stdout
    for warning in shape_warnings(report.rows):
        print(f"  warning: {report.function}'s {warning}", file=out)
    status = EXIT_OK
    if changes is not None:
        threshold = args.fail_slower or 0.0
        print(f"compared with the baseline {args.compare}:", file=out)
        for line in environment_differences(baseline.environment, report.environment):
            print(f"  warning: measured elsewhere \u2014 {line}", file=out)
        if not args.json:
            print(changes_table(changes), file=out)
        print(f"  {summary(changes, threshold)}", file=out)
        if args.fail_slower is not None and regressions(changes):
            _error(f"slower than the baseline {args.compare}: " + ", ".join(c.label() for c in regressions(changes)))
            status = EXIT_FAILED
    failed = untimed(report.rows)
    if len(failed) == len(report.rows):
        _error(f"nothing could be timed: {'every requested cell failed or was refused' if failed else 'no cell was asked for'}")
        return EXIT_UNUSABLE
    if failed:
        named = ", ".join(f"{r.implementation} @ {shape_label(r.dims)}" + (f" ({shape_label(r.requested)} asked)" if r.requested else "") for r in failed[:5])
        named += f" and {len(failed) - 5} more" if len(failed) > 5 else ""
        _error(f"{len(failed)} of {len(report.rows)} requested cells not timed: {named}")
        status = EXIT_FAILED
    return status


def _blame_against(problem: Problem, request: BenchRequest) -> Problem:
    """A crash or timeout whose most recent frame in a user file lies in an ``--against`` file, blamed on it.

    The engine client looks for the request's own file in the stack dump, so
    it names FILE even when an ``--against`` file killed the engine (at import,
    or in its forward) or never returned.
    """
    if problem.kind not in ("crash", "timeout") or not request.others:
        return problem
    main = request.source.path
    candidates = [main] + [other.source.path for other in request.others]
    for line in problem.detail.splitlines():
        found = next(((path, where) for path in candidates if (where := user_location(line, path))), None)
        if found is None:
            continue
        path, location = found
        if path == main:
            return problem
        what = "killed the engine" if problem.kind == "crash" else "did not finish"
        return dataclasses.replace(
            problem,
            message=f"{location} (--against): {problem.message.removeprefix(f'{main}: ')}",
            location=location,
            hint=f"the --against file {path} {what}, not {main}; bench it on its own to see why, or leave it out",
        )
    return problem


def _app_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradlab",
        description="A workbench for custom torch.autograd.Functions. Commands: check, plot, bench (gradlab COMMAND -h).",
    )
    parser.add_argument("file", nargs="?", help="a function file to open (default: the built-in Sigmoid)")
    return parser


def _error(message: str) -> None:
    print(f"gradlab: {message}", file=sys.stderr)


def _unwritable(path: str) -> str:
    """Why ``--out`` cannot be written (checked before a long run), or ``""``."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f"--out {path}: folder {folder} does not exist"
    if os.path.isdir(path):
        return f"--out {path}: is a folder; name a file in it"
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        return f"--out {path}: not writable"
    return ""


# -- check ----------------------------------------------------------------
def _check_json(result: CheckResult) -> dict:
    data = asdict(result)
    data.pop("name")
    return data


def _function_json(checks: FunctionChecks) -> dict:
    return {
        "name": checks.function,
        "gradcheck": _check_json(checks.gradcheck),
        "gradgradcheck": _check_json(checks.gradgradcheck),
        "extra": {result.name: _check_json(result) for result in checks.extra},
        "capabilities": asdict(checks.capabilities) if checks.capabilities else None,
        "kind": checks.kind,
        "opcheck": checks.opcheck.to_json() if checks.opcheck is not None else None,
        "taylor": asdict(checks.taylor) if checks.taylor else None,
        "transforms": transforms_to_json(checks.transforms) if checks.transforms is not None else None,
        "warnings": checks.captured.warnings,
        "stdout": checks.captured.stdout,
    }


def _verdict_text(result: CheckResult) -> str:
    mark = {True: "passed", False: "FAILED", None: "not run"}[result.passed]
    text = f"{result.name}: {mark}"
    if result.max_abs_error is not None:
        text += f"  (max abs error {result.max_abs_error:.3g}, rel {result.max_rel_error:.3g} at {result.worst_element})"
    if result.passed is not True:
        first = result.message.splitlines()[0] if result.message else ""
        text += f"\n      {first}"
        if result.passed is False and result.worst is not None:
            text += f"\n      {result.worst.text()}"
        if result.hint:
            text += f"\n      hint: {result.hint}"
    return text


#: Characters of a printed line that ``gradlab check`` shows (``--json`` has all that was kept).
_SHOWN_LINE = 200


def _print_captured(checks: FunctionChecks) -> None:
    for warning in checks.captured.warnings:
        print(f"    warning: {warning}")
    lines = checks.captured.stdout.splitlines()
    if lines:
        shown = lines[:5]
        print(f"    printed {counted(len(lines), 'line')}{' (first 5; --json has all)' if len(lines) > 5 else ''}:")
        for line in shown:
            print(f"      | {line if len(line) <= _SHOWN_LINE else line[:_SHOWN_LINE] + f'… ({len(line):,} characters)'}")


def run_check(args: argparse.Namespace) -> int:
    """``gradlab check``: both checks for each Function; the exit status says how it went.

    The file is read once, here: the lint and every request see the same text,
    even if the file changes or disappears while the checks run.
    """
    report = {"file": args.file, "error": None, "functions": []}
    status = EXIT_OK
    if args.export_test and (problem := export_problem(args.export_test)):
        _error(f"--export-test {args.export_test}: {problem}")
        return EXIT_UNUSABLE
    try:
        text = read_source(os.path.abspath(args.file))
    except UserCodeError as exc:
        return _finish_check(report, exc.problem, EXIT_UNUSABLE, args)
    source = Source(os.path.abspath(args.file), text)
    with Engine(timeout=args.timeout) as engine:
        try:
            info = engine.request(LoadRequest(source))
            names = [f.name for f in info.functions]
            if args.function:
                if args.function not in names:
                    raise EngineError(Problem("no_function", f"{args.file}: no Function called {args.function!r}", hint=f"the file defines {', '.join(names)}"))
                names = [args.function]
        except EngineError as exc:
            return _finish_check(report, exc.problem, EXIT_UNUSABLE, args)
        if args.export_test:  # the checks below, as a pytest file
            ops = [f.name for f in info.functions if f.kind == "custom_op"]
            options = from_arguments(CheckOptions, args)
            try:
                write_pytest_file(args.export_test, pytest_file_text(source.path, names, options, ops=ops, test_path=args.export_test))
            except OSError as exc:
                _error(f"--export-test {args.export_test}: {exc.strerror or exc}")
                return EXIT_UNUSABLE
            report["exported_test"] = args.export_test
        findings = lint_source(text)
        report["lint"] = [asdict(f) for f in findings]
        if not args.json:
            print(f"{args.file}: {info.description}" if info.description else args.file)
            if args.export_test:
                print(f"  wrote {args.export_test}: run it with pytest {args.export_test}")
            for finding in findings:
                print(f"  lint {finding}")
        for name in names:
            request = CheckRequest(source, name, options=from_arguments(CheckOptions, args))
            try:
                checks = engine.request(request)
            except EngineError as exc:
                report["functions"].append({"name": name, "error": exc.problem.message})
                return _finish_check(report, exc.problem, EXIT_UNUSABLE, args)
            report["functions"].append(_function_json(checks))
            if verdict_is_failure(checks):
                status = EXIT_FAILED
            if not args.json:
                print(f"  {name} (custom op)" if checks.kind == "custom_op" else f"  {name}")
                for result in checks.rows:
                    print(f"    {_verdict_text(result)}")
                if checks.capabilities:
                    print(f"    {checks.capabilities.summary()}")
                if checks.taylor:
                    print(f"    {checks.taylor.summary()}")
                if checks.opcheck is not None:
                    print(f"    {checks.opcheck.summary()}")
                if checks.transforms is not None:
                    print("    transforms:")
                    for line in transforms_text(checks.transforms).splitlines():
                        print(f"      {line}")
                _print_captured(checks)
    return _finish_check(report, None, status, args)


def _finish_check(report: dict, problem: Problem | None, status: int, args) -> int:
    if problem is not None:
        report["error"] = problem.message
        report["hint"] = problem.hint
        report["detail"] = problem.detail
    if args.json:
        print(json_text(report))
    elif problem is not None:
        _error(str(problem))
    return status


# -- plot -----------------------------------------------------------------
def run_plot(args: argparse.Namespace) -> int:
    """``gradlab plot``: compute the curves in the engine, write them to ``--out``."""
    extension = os.path.splitext(args.out)[1].lower()
    if extension not in (".png", ".svg", ".csv"):
        _error(f"--out must end in .png, .svg or .csv, not {extension or 'nothing'!r}")
        return EXIT_UNUSABLE
    if problem := _unwritable(args.out):
        _error(problem)
        return EXIT_UNUSABLE
    request = CurvesRequest(
        Source(os.path.abspath(args.file)),
        args.function,
        domain=tuple(args.domain) if args.domain else None,
        points=args.points,
    )
    with Engine(timeout=args.timeout) as engine:
        try:
            curves = engine.request(request)
        except EngineError as exc:
            _error(str(exc.problem))
            return EXIT_UNUSABLE
    for note in curves.notes + [n for n in (curves.hand_written.df_note, curves.hand_written.d2f_note) if n]:
        _error(f"note: {note}")
    for warning in curves.captured.warnings:
        _error(f"warning: {warning}")
    if curves.captured.dropped_chars:
        _error(f"note: the code wrote {curves.captured.dropped_chars:,} more characters of output than gradlab keeps; they were dropped")
    try:
        if extension == ".csv":
            write_csv(curves, args.out)
        else:
            from gradlab.gui.figure import export_figure

            export_figure(curves, args.out)
    except OSError as exc:
        _error(f"--out {args.out}: {exc.strerror or exc}")
        return EXIT_UNUSABLE
    print(args.out)
    return EXIT_OK


# -- app ------------------------------------------------------------------
def run_app(args: argparse.Namespace) -> int:
    """Launch the desktop window."""
    from gradlab.gui.app import run

    return run(args.file)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``gradlab`` command.

    SIGTERM, SIGINT (Ctrl+C) and SIGHUP stop a command's engines, with all
    they started, and end it with exit status 128 + the signal's number
    (130 for Ctrl+C, 143 for SIGTERM) and one line on stderr.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "check":
        return _interruptible(run_check, _check_parser().parse_args(argv[1:]))
    if argv and argv[0] == "plot":
        return _interruptible(run_plot, _plot_parser().parse_args(argv[1:]))
    if argv and argv[0] == "bench":
        return _interruptible(run_bench, _bench_parser().parse_args(argv[1:]))
    return run_app(_app_parser().parse_args(argv))


# -- signals --------------------------------------------------------------
#: Signals that stop a command; it exits with 128 + the signal's number.
STOP_SIGNAL_NAMES = ("SIGTERM", "SIGINT", "SIGHUP")


class _Interrupted(BaseException):
    """Raised by the signal handler: unwinds a command through its ``with Engine`` blocks."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop_signals() -> list:
    import signal

    return [getattr(signal, name) for name in STOP_SIGNAL_NAMES if hasattr(signal, name)]


def _on_stop_signal(signum: int, frame) -> None:
    import signal

    from gradlab.engine import stop_all_engines

    for stop_signal in _stop_signals():  # a second signal ends the CLI at once
        signal.signal(stop_signal, signal.SIG_DFL)
    stop_all_engines()  # now, however slowly the command unwinds
    raise _Interrupted(signum)


def _interruptible(command, args: argparse.Namespace) -> int:
    """Run ``command(args)``; on a stop signal, kill its engines and return 128 + the signal's number."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        return command(args)
    previous = {stop_signal: signal.signal(stop_signal, _on_stop_signal) for stop_signal in _stop_signals()}
    try:
        return command(args)
    except _Interrupted as interrupted:
        name = signal.Signals(interrupted.signum).name
        _error(f"{command.__name__.removeprefix('run_')} interrupted by {name}; its engine was stopped")
        return 128 + interrupted.signum
    finally:
        for stop_signal, handler in previous.items():
            signal.signal(stop_signal, handler)


if __name__ == "__main__":
    sys.exit(main())
