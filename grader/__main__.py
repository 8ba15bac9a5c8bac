"""`python3 -m grader`: grade the labs of a submission (or the reference, or the skeleton) and report."""
import argparse
import contextlib
import signal
import sys
import threading

from . import grade, report, runner


def parse(argv):
    ap = argparse.ArgumentParser(prog="python3 -m grader", description=(
        "Grade minivmm labs. Without --lab every lab is graded. The exit status is 0 "
        "only when the score is full."))
    ap.add_argument("--lab", help="grade only this lab: its id, e.g. 0 (an ARM lab's number) or x1")
    ap.add_argument("--submission", help="a folder, a .zip or a git repository with student files")
    ap.add_argument("--solutions", action="store_true", help="grade the reference solutions")
    ap.add_argument("--reference-for-earlier-labs", dest="catchup", action="store_true",
                    help="catch-up mode: build lab N with the reference for labs < N")
    ap.add_argument("--json", help="write Gradescope results.json here")
    ap.add_argument("--junit", help="write JUnit XML here")
    ap.add_argument("--jobs", type=int, default=runner.default_jobs(), help="tests run in parallel")
    ap.add_argument("--timeout-scale", type=float, default=1.0,
                    help="multiply every test's timeout (e.g. 2 on a slow machine)")
    ap.add_argument("--logs", default="build/grade-logs",
                    help="folder for the whole output of failed tests ('' for none)")
    ap.add_argument("--keep", action="store_true", help="keep the build tree (to debug a failure)")
    ap.add_argument("--no-sandbox", dest="sandbox", action="store_false",
                    help="run the builds, unit tests and QEMU runs without their bubblewrap sandboxes "
                    "(docs/instructor/sandbox.rst); needed to grade a submission where bwrap cannot make one")
    return ap.parse_args(argv)


def _ignore_signals():
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_IGN)


def _stop(signum, frame):
    """Ctrl-C (SIGINT) or SIGTERM: raise KeyboardInterrupt naming it, and ignore any further
    one, so that the cleanup (kill every test, remove the trees) is not cut short."""
    _ignore_signals()
    raise KeyboardInterrupt("Ctrl-C" if signum == signal.SIGINT else "SIGTERM")


@contextlib.contextmanager
def _stoppable():
    """_stop for SIGINT and SIGTERM while grading (the main thread only can set handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, _stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def main(argv=None):
    a = parse(argv)
    if a.submission and a.solutions:
        print("grader: give --submission or --solutions, not both", file=sys.stderr)
        return 2
    if not 0 < a.timeout_scale <= 20:
        print("grader: --timeout-scale must be in (0, 20]", file=sys.stderr)
        return 2
    with _stoppable():
        try:
            g = grade.grade(a.lab, a.submission, a.solutions, a.catchup, a.jobs, a.keep, a.timeout_scale,
                            sandboxed=a.sandbox)
            if threading.current_thread() is threading.main_thread():
                _ignore_signals()  # graded: the report is written whole
        except KeyboardInterrupt as e:  # before grading started, or after it ended
            how = e.args[0] if e.args else "Ctrl-C"
            g = grade.Grade([], [], f"interrupted ({how}) before grading finished", 0.0, signal=how)
        logs = report.save_logs(g.outcomes, a.logs) if a.logs else {}
        report.failure_details(g.outcomes, logs=logs)
        report.table(g.outcomes, g.notes, phases=g.phases)
        if g.error:
            print(f"grader: {g.error}", file=sys.stderr)
        if a.json:
            report.write_json(a.json, g.outcomes, g.seconds, g.notes, g.error, g.phases)
        if a.junit:
            report.write_junit(a.junit, g.outcomes, g.seconds, g.error)
    if g.signal:
        return 143 if g.signal == "SIGTERM" else 130
    return 0 if g.full else 1


if __name__ == "__main__":
    sys.exit(main())
