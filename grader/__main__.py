"""`python3 -m grader`: grade the labs of a submission (or the reference, or the skeleton) and report."""
import argparse
import sys

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
    return ap.parse_args(argv)


def main(argv=None):
    a = parse(argv)
    if a.submission and a.solutions:
        print("grader: give --submission or --solutions, not both", file=sys.stderr)
        return 2
    if not 0 < a.timeout_scale <= 20:
        print("grader: --timeout-scale must be in (0, 20]", file=sys.stderr)
        return 2
    try:
        g = grade.grade(a.lab, a.submission, a.solutions, a.catchup, a.jobs, a.keep, a.timeout_scale)
    except KeyboardInterrupt:
        g = grade.Grade([], [], "interrupted (Ctrl-C) before grading finished", 0.0)
    logs = report.save_logs(g.outcomes, a.logs) if a.logs else {}
    report.failure_details(g.outcomes, logs=logs)
    report.table(g.outcomes, g.notes)
    if g.error:
        print(f"grader: {g.error}", file=sys.stderr)
    if a.json:
        report.write_json(a.json, g.outcomes, g.seconds, g.notes, g.error)
    if a.junit:
        report.write_junit(a.junit, g.outcomes, g.seconds, g.error)
    return 130 if g.error and g.error.startswith("interrupted") else 0 if g.full else 1


if __name__ == "__main__":
    sys.exit(main())
