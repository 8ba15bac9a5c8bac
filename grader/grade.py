"""Grading: choose each student file (submission, reference or skeleton), build a clean tree, run and score."""
import dataclasses
import re
import subprocess
import sys
import tempfile
import time

from . import manifest, proc, report, runner, tree


@dataclasses.dataclass
class Plan:
    """One build tree: the files laid over the kit and the labs whose tests run in it,
    all of one architecture (the tree is built with that ARCH)."""
    overlay: dict
    labs: list
    all_labs: list = dataclasses.field(default_factory=list)  # every lab, for file ownership

    def __post_init__(self):
        if not self.all_labs:
            self.all_labs = manifest.load_all()
        arches = sorted({lab.arch for lab in self.labs})
        if len(arches) > 1:
            raise ValueError(f"one build tree cannot hold labs of two architectures ({', '.join(arches)})")

    @property
    def arch(self):
        return self.labs[0].arch if self.labs else "arm"


@dataclasses.dataclass
class Grade:
    outcomes: list
    notes: list
    error: str | None
    seconds: float

    @property
    def full(self):
        got, total = report.score(self.outcomes)
        return self.error is None and bool(self.outcomes) and got == total


def up_to_selected(labs, selected):
    """The labs of each selected lab's track (architecture) up to the highest selected
    one of that track: the labs whose student files a grading run takes."""
    top = {}
    for lab in selected:
        top[lab.arch] = max(top.get(lab.arch, lab.number), lab.number)
    return [lab for lab in labs if lab.arch in top and lab.number <= top[lab.arch]]


def plan(labs, selected, source, catchup):
    """source(lab) -> {repo path: file} for a lab's student files taken from the
    submission or the reference. Without catch-up, one tree per architecture holds the
    chosen files of every lab of that track up to the highest graded one; with it, lab N
    gets its own tree with the reference for the labs before it in its track."""
    if not catchup:
        plans = []
        for arch in dict.fromkeys(lab.arch for lab in selected):  # in the labs' order
            overlay = {}
            for lab in up_to_selected(labs, [l for l in selected if l.arch == arch]):
                overlay.update(source(lab))
            plans.append(Plan(overlay, [l for l in selected if l.arch == arch], labs))
        return plans
    plans = []
    for lab in selected:
        earlier = [l for l in labs if l.arch == lab.arch and l.number < lab.number]
        plans.append(Plan({**tree.reference_overlay(earlier), **source(lab)}, [lab], labs))
    return plans


def _build_failed(tests, log):
    errors = [l for l in log.splitlines() if "error" in l.lower()]
    why = "build failed: " + (errors[0].strip()[:160] if errors else "see the log")
    return [runner.Outcome(t, False, why, runner._tail(log, 30), status="build failed")
            for t in tests]


def _progress(total):
    count = [0]

    def report(o):
        count[0] += 1
        print(f"  [{count[0]}/{total}] {o.test.name}: {o.status} ({o.seconds:.2f}s)",
              file=sys.stderr, flush=True)
    return report


def _broken_files(kit, files, jobs, arch):
    """The student files that do not compile on their own (make -k, one object each)."""
    objs = {f: [f"build/skel/vmm/{f}.o", f"build/skel/host/{f}.o"] for f in files}
    argv = runner.make_argv(kit, ["-k", f"-j{jobs}", *(o for pair in objs.values() for o in pair)], arch)
    proc.run(argv, runner.BUILD_TIMEOUT)
    return [f for f, pair in objs.items() if not all((kit / o).is_file() for o in pair)]


def _skeleton(f):
    """The skeleton of student file f. In the instructor's repository it is the file in
    minivmm/; in a student handout, where students edit minivmm/ itself, it is the file
    as the handout's first commit holds it (if git can say)."""
    if (manifest.ROOT / "solutions").is_dir() or not (manifest.ROOT / ".git").exists():
        return (manifest.ROOT / f).read_bytes()
    first = subprocess.run(["git", "-C", str(manifest.ROOT), "rev-list", "--max-parents=0", "HEAD"],
                           capture_output=True, text=True)
    shown = subprocess.run(["git", "-C", str(manifest.ROOT), "show",
                            f"{first.stdout.split()[0]}:{f}"], capture_output=True) \
        if first.returncode == 0 and first.stdout.split() else None
    return shown.stdout if shown and shown.returncode == 0 else (manifest.ROOT / f).read_bytes()


def _build(kit, plan, jobs):
    """Build the tree. A student file that does not compile is replaced by its skeleton
    (which always compiles), so only its own lab fails. Returns (ok, log, {lab: why})."""
    ok, log = runner.build(kit, jobs, arch=plan.arch)
    failed = {}
    if not ok:
        files = {f: lab for lab in plan.all_labs for f in lab.student_files if f in plan.overlay}
        broken = _broken_files(kit, list(files), jobs, plan.arch)
        if not broken:
            return False, log, failed
        for f in broken:
            (kit / f).write_bytes(_skeleton(f))
            failed[files[f].name] = f"{f} does not compile"
        ok, log2 = runner.build(kit, jobs, arch=plan.arch)
        if not ok:
            return False, log + log2, failed
    files = [f for lab in plan.all_labs for f in lab.student_files]
    for line in tree.foreign_includes(kit, files):
        f = line.split(":", 1)[0]
        lab = next(l for l in plan.all_labs if f in l.student_files)
        failed.setdefault(lab.name, f"{line.split(': ', 1)[0]} reads {line.split(': ', 1)[1]}, "
                                    "outside minivmm/")
    return True, log, failed


# make's own lines around a failure ("make[1]: Entering ...", "make: *** [Makefile:9: x] Error 1"):
# never the reason.
MAKE_NOISE = re.compile(r"^make(\[\d+\])?: (\*\*\* \[.*\] Error \d+|Entering directory|Leaving directory)")


def _prepare(kit, tests, quiet):
    """Build what the tests need in the tree (Test.needs), each target once.
    Returns {test name: (why it cannot run, the target's output)} for those whose target failed."""
    failed = {}
    for target in sorted({t.needs for t in tests if t.needs}):
        users = [t.name for t in tests if t.needs == target]
        if not quiet:
            print(f"grader: make {target} (for {', '.join(users)})", file=sys.stderr, flush=True)
        arch = runner.test_arch(next(t for t in tests if t.needs == target))
        ok, log = runner.prepare(kit, target, arch=arch)
        if not ok:
            lines = [l for l in log.splitlines() if l.strip() and not MAKE_NOISE.match(l)]
            why = f"make {target} failed: {lines[-1].strip() if lines else 'no output'}"
            failed.update({n: (why, runner._tail(log, 30)) for n in users})
    return failed


def _run_needy(tests, done, kit, jobs, honour_deps, progress, scale, quiet):
    """The tests that need a make target, after the rest (done): a test whose parent
    failed is not run and its target is not made (no download for a student whose
    lab 4 does not work yet)."""
    passed = {o.test.name for o in done if o.passed}
    known = {o.test.name for o in done} | {t.name for t in tests}
    outcomes, ready = [], []
    for t in tests:
        failed = [d for d in t.depends if honour_deps and d in known and d not in passed]
        if failed:
            outcomes.append(runner.Outcome(t, False, f"parent test {failed[0]} failed", status="parent failed"))
        else:
            ready.append(t)
    unprepared = _prepare(kit, ready, quiet)
    for t in ready:
        if t.name in unprepared:
            outcomes.append(runner.Outcome(t, False, *unprepared[t.name], status="error"))
    for o in outcomes:
        if progress:
            progress(o)
    ready = [t for t in ready if t.name not in unprepared]
    return outcomes + runner.run_tests(ready, kit, jobs, honour_deps=False, progress=progress, scale=scale)


def run_plans(plans, jobs, keep=False, honour_deps=True, quiet=False, scale=1.0, select=None):
    """Build each plan's tree and run its labs' tests (those select(test) accepts, if given)."""
    outcomes = []
    for p in plans:
        tests = [t for lab in p.labs for t in lab.tests if select is None or select(t)]
        kit = tree.make_tree(p.overlay)
        try:
            if not quiet:
                print(f"grader: building {', '.join(l.name for l in p.labs)} in {kit}",
                      file=sys.stderr, flush=True)
            ok, log, failed = _build(kit, p, jobs)
            if not ok:
                outcomes += _build_failed(tests, log)
                continue
            bad = [t for t in tests if t.lab.name in failed]
            for t in bad:
                outcomes.append(runner.Outcome(t, False, f"build failed: {failed[t.lab.name]}",
                                               runner._tail(log, 30), status="build failed"))
            progress = None if quiet else _progress(len(tests))
            plain = [t for t in tests if t not in bad and not t.needs]
            done = runner.run_tests(plain, kit, jobs, honour_deps, progress, scale=scale)
            needy = [t for t in tests if t not in bad and t.needs]
            outcomes += done + _run_needy(needy, done, kit, jobs, honour_deps, progress, scale, quiet)
        finally:
            if not keep:
                tree.remove_tree(kit)
    order = {id(t): i for i, t in enumerate(t for p in plans for lab in p.labs for t in lab.tests)}
    return sorted(outcomes, key=lambda o: order.get(id(o.test), 0))


def grade(lab_id=None, submission=None, solutions=False, catchup=False, jobs=2, keep=False,
          scale=1.0):
    """Grade lab lab_id ("0", "x1"; None: every lab); never raises for a bad submission or a
    grader fault: the reason goes in Grade.error."""
    start = time.monotonic()
    notes = []
    try:
        labs = manifest.load_all()
        selected = [manifest.find_lab(labs, lab_id)] if lab_id is not None else labs
        with tempfile.TemporaryDirectory(prefix="mvsub-") as work:
            source = _source(labs, selected, submission, solutions, notes, work)
            plans = plan(labs, selected, source, catchup)
            outcomes = run_plans(plans, jobs, keep, scale=scale)
        return Grade(outcomes, notes, None, time.monotonic() - start)
    except (manifest.ManifestError, tree.SubmissionError, OSError) as e:
        return Grade([], notes, str(e), time.monotonic() - start)
    except Exception as e:  # never fail silently: the report says what went wrong
        return Grade([], notes, f"internal error: {type(e).__name__}: {e}", time.monotonic() - start)


def _source(labs, selected, submission, solutions, notes, work):
    """The function that gives each lab's student files for this grading run."""
    if submission is None:
        if solutions:
            notes.append("graded: the reference solutions")
            return lambda lab: tree.reference_overlay([lab])
        notes.append("graded: the student files as they are in this repository (no submission given)")
        return lambda lab: {f: manifest.ROOT / f for f in lab.student_files}
    folder = tree.open_submission(str(submission), work)
    allowed = [f for lab in up_to_selected(labs, selected) for f in lab.student_files]
    intake = tree.take_student_files(folder, allowed)
    if intake.missing:
        notes.append("missing from the submission (the skeleton is used): " + ", ".join(intake.missing))
    if intake.ignored:
        shown = intake.ignored[:20]
        more = f" and {len(intake.ignored) - 20} more" if len(intake.ignored) > 20 else ""
        notes.append("ignored (not a student file of the graded labs; the kit's own copy is used): "
                     + ", ".join(shown) + more)

    def from_submission(lab):
        return {f: intake.taken.get(f, manifest.ROOT / f) for f in lab.student_files}
    return from_submission
