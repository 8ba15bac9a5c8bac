"""Grading: choose each student file (submission, reference or skeleton), build a clean tree, run and score."""
import contextlib
import dataclasses
import os
import pathlib
import re
import sys
import tempfile
import time

from . import cache, manifest, objcheck, refobjs, report, runner, sandbox, tree


@dataclasses.dataclass
class Plan:
    """One build tree: the files laid over the kit and the labs whose tests run in it,
    all of one architecture (the tree is built with that ARCH)."""
    overlay: dict
    labs: list
    all_labs: list = dataclasses.field(default_factory=list)  # every lab, for file ownership
    seeded: bool = False  # its tree started from the build cache: only student files to compile
    # catch-up mode: {student file: reference source} of the earlier labs, whose objects
    # (grader/refobjs.py) are laid into the tree; their source there stays the skeleton
    prebuilt: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if not self.all_labs:
            self.all_labs = manifest.load_all()
        arches = sorted({lab.arch for lab in self.labs})
        if len(arches) > 1:
            raise ValueError(f"one build tree cannot hold labs of two architectures ({', '.join(arches)})")

    @property
    def arch(self):
        return self.labs[0].arch if self.labs else "arm"

    @property
    def units(self):
        """The Check programs (build/skel/unit/<name>) that this tree's tests run: the
        build makes those, not every lab's (nor the framework's)."""
        return sorted({runner.unit_program(lab) for lab in self.labs
                       if any(t.kind == "unit" for t in lab.tests)
                       and any(pathlib.Path(lab.path, "tests/unit").glob("*.c"))})

    @property
    def targets(self):
        return ["all", *(f"build/skel/unit/{u}" for u in self.units)]


class Clock:
    """Wall seconds of each phase of a grading run, and what it is doing (for Ctrl-C's line)."""
    PHASES = ("build", "unit tests", "QEMU tests")

    def __init__(self):
        self.seconds = dict.fromkeys(self.PHASES, 0.0)
        self.doing = "reading the submission"

    @contextlib.contextmanager
    def phase(self, name, doing):
        """Time a phase. On an exception (Ctrl-C) `doing` still names it."""
        self.doing = doing
        start = time.monotonic()
        try:
            yield
            self.doing = "cleaning up"
        finally:
            self.seconds[name] += time.monotonic() - start


@dataclasses.dataclass
class Grade:
    outcomes: list
    notes: list
    error: str | None
    seconds: float
    phases: dict = dataclasses.field(default_factory=dict)  # Clock.seconds
    signal: str | None = None   # "Ctrl-C" or "SIGTERM" if the run was interrupted

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
    gets its own tree with the reference's objects for the labs before it in its track
    (Plan.prebuilt: never their source, which the student's code could print)."""
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
        plans.append(Plan(source(lab), [lab], labs, prebuilt=tree.reference_overlay(earlier)))
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
    runner.build(kit, jobs, timeout=runner.SEEDED_BUILD_TIMEOUT, arch=arch,
                 targets=["-k", *(o for pair in objs.values() for o in pair)])
    return [f for f, pair in objs.items() if not all((kit / o).is_file() for o in pair)]


def _build(kit, plan, jobs):
    """Build the tree. A student file that does not compile is replaced by its skeleton
    (which always compiles), so only its own lab fails. From the cache only the student
    files compile, so the build has SEEDED_BUILD_TIMEOUT; one that times out (an #include
    of a pipe, a compiler kept busy) fails as it is, never built again.
    Returns (ok, log, {lab: why})."""
    timeout = runner.SEEDED_BUILD_TIMEOUT if plan.seeded else runner.BUILD_TIMEOUT
    ok, log = runner.build(kit, jobs, timeout=timeout, arch=plan.arch, targets=plan.targets)
    failed = {}
    if not ok and log.endswith(runner.stopped("build", timeout)):
        return False, log, failed
    if not ok:
        files = {f: lab for lab in plan.all_labs for f in lab.student_files if f in plan.overlay}
        broken = _broken_files(kit, list(files), jobs, plan.arch)
        for f in broken:
            (kit / f).write_bytes(tree.skeleton(f))
            failed[files[f].name] = f"{f} does not compile"
        # Every file compiles, yet the build fails: a link error, such as a call of a
        # function that minivmm does not have (system(), fopen()); the inspection names it.
        if not broken and not _revert_bad_objects(kit, plan, failed, compiled_only=True):
            return False, log, failed
        ok, log2 = runner.build(kit, jobs, timeout=timeout, arch=plan.arch, targets=plan.targets)
        if not ok:
            return False, log + log2, failed
    ok, log = _inspect(kit, plan, jobs, timeout, log, failed)
    if not ok:
        return False, log, failed
    files = [f for lab in plan.all_labs for f in lab.student_files]
    for line in tree.bad_includes(kit, files):
        f, why = line.split(": ", 1)
        lab = next(l for l in plan.all_labs if f in l.student_files)
        failed.setdefault(lab.name, f"{f} {why}")
    for line in tree.foreign_includes(kit, files):
        f = line.split(":", 1)[0]
        lab = next(l for l in plan.all_labs if f in l.student_files)
        failed.setdefault(lab.name, f"{line.split(': ', 1)[0]} reads {line.split(': ', 1)[1]}, "
                                    "outside minivmm/")
    return True, log, failed


def _revert_bad_objects(kit, plan, failed, compiled_only=False):
    """Inspect the objects of the student files laid over the tree (grader/objcheck.py): one
    that breaks a rule fails its lab's build like a compile error (failed gets the message)
    and is replaced by its skeleton. Returns whether one was. compiled_only: only the files
    whose two objects are there (after a failed link; a missing object is not a finding)."""
    lab_of = {f: lab for lab in plan.all_labs for f in lab.student_files}
    files = [f for f in plan.overlay if f in lab_of and lab_of[f].arch == plan.arch]
    if compiled_only:
        files = [f for f in files if all((kit / o).is_file() for o in refobjs.targets([f]))]
    every = [f for f in lab_of if lab_of[f].arch == plan.arch]
    bad = objcheck.inspect(kit, files, every, lambda f: lab_of[f].number, arch=plan.arch)
    for f, why in bad.items():
        (kit / f).write_bytes(tree.skeleton(f))
        failed.setdefault(lab_of[f].name, why)
    return bool(bad)


def _inspect(kit, plan, jobs, timeout, log, failed):
    """Inspect the built tree's student objects before anything runs (_revert_bad_objects);
    after a file was replaced by its skeleton the tree is built again, so that no other lab's
    test runs its code. Returns (ok, log)."""
    if not _revert_bad_objects(kit, plan, failed):
        return True, log
    ok, log2 = runner.build(kit, jobs, timeout=timeout, arch=plan.arch, targets=plan.targets)
    return ok, log + log2


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


def _run_needy(tests, done, kit, jobs, honour_deps, progress, scale, quiet, clock=None):
    """The tests that need a make target, after the rest (done): a test whose parent
    failed is not run and its target is not made (no download for a student whose
    lab 4 does not work yet)."""
    clock = clock or Clock()
    passed = {o.test.name for o in done if o.passed}
    known = {o.test.name for o in done} | {t.name for t in tests}
    outcomes, ready = [], []
    for t in tests:
        failed = [d for d in t.depends if honour_deps and d in known and d not in passed]
        if failed:
            outcomes.append(runner.Outcome(t, False, f"parent test {failed[0]} failed", status="parent failed"))
        else:
            ready.append(t)
    with clock.phase("build", "preparing a target (" + ", ".join(
            sorted({f"make {t.needs}" for t in ready})) + ")"):
        unprepared = _prepare(kit, ready, quiet)
    for t in ready:
        if t.name in unprepared:
            outcomes.append(runner.Outcome(t, False, *unprepared[t.name], status="error"))
    for o in outcomes:
        if progress:
            progress(o)
    ready = [t for t in ready if t.name not in unprepared]
    with clock.phase("QEMU tests", "running the QEMU tests"):
        return outcomes + runner.run_tests(ready, kit, jobs, honour_deps=False, progress=progress, scale=scale)


def _stages(tests):
    """The unit tests, then the rest (the QEMU tests, and any unit test that depends on
    one), so that each phase has its own time. Parents come before their children
    (manifest order)."""
    late = set()
    for t in tests:
        if t.kind != "unit" or any(d in late for d in t.depends):
            late.add(t.name)
    return [t for t in tests if t.name not in late], [t for t in tests if t.name in late]


def _start_tree(p, jobs, held=None):
    """A new build tree for plan p, its build/ started from the pristine build cache
    (or from $MINIVMM_GRADE_WARM, for grader/samples.py); in catch-up mode with the
    reference objects of p.prebuilt laid in from held (_reference_objects)."""
    kit = tree.make_tree(p.overlay)
    try:
        files = cache.student_files(p.all_labs, p.arch)
        warm = os.environ.get(tree.WARM_ENV)
        if warm:
            tree.seed(kit, warm, files, settled=False, units=p.units)
            p.seeded = True
        else:
            p.seeded = bool(cache.start(kit, p.arch, files, jobs, units=p.units))
        if p.prebuilt:
            _lay_reference(kit, p, held[p.arch], jobs)
    except BaseException:
        tree.remove_tree(kit)
        raise
    return kit


def _lay_reference(kit, p, held, jobs):
    """Lay the reference objects of p.prebuilt into kit. Without the cache (p.seeded
    False) make first copies those files' skeletons to build/skel/src, so that the
    objects laid in after are the newer."""
    if not p.seeded:
        runner.build(kit, jobs, arch=p.arch, targets=[f"build/skel/src/{f}" for f in p.prebuilt])
    refobjs.lay(kit, held, p.prebuilt)


def _reference_objects(plans, jobs):
    """{arch: folder of reference objects} for the catch-up plans' prebuilt files, each
    track's compiled once (grader/refobjs.py)."""
    held = {}
    try:
        for arch in dict.fromkeys(p.arch for p in plans if p.prebuilt):
            sources = {}
            for p in plans:
                if p.arch == arch:
                    sources.update(p.prebuilt)
            files = cache.student_files(plans[0].all_labs, arch)
            held[arch] = refobjs.build(sources, arch, jobs, files)
    except BaseException:
        for folder in held.values():
            tree.remove(folder)
        raise
    return held


def _run_plan(p, kit, tests, jobs, honour_deps, quiet, scale, clock):
    """Build one plan's tree (kit) and run its tests; returns their outcomes."""
    with clock.phase("build", "building"):
        ok, log, failed = _build(kit, p, jobs)
    if not ok:
        return _build_failed(tests, log)
    bad = [t for t in tests if t.lab.name in failed]
    outcomes = [runner.Outcome(t, False, f"build failed: {failed[t.lab.name]}",
                               runner._tail(log, 30), status="build failed") for t in bad]
    progress = None if quiet else _progress(len(tests))
    first, later = _stages([t for t in tests if t not in bad and not t.needs])
    with clock.phase("unit tests", "running the unit tests"):
        done = runner.run_tests(first, kit, jobs, honour_deps, progress, scale=scale)
    with clock.phase("QEMU tests", "running the QEMU tests"):
        done += runner.run_tests(later, kit, jobs, honour_deps, progress, scale=scale, prior=done)
    needy = [t for t in tests if t not in bad and t.needs]
    return outcomes + done + _run_needy(needy, done, kit, jobs, honour_deps, progress, scale, quiet, clock)


def run_plans(plans, jobs, keep=False, honour_deps=True, quiet=False, scale=1.0, select=None, clock=None):
    """Build each plan's tree and run its labs' tests (those select(test) accepts, if given);
    clock (a Clock) gets the time of each phase."""
    clock = clock or Clock()
    outcomes = []
    with clock.phase("build", "compiling the reference of the earlier labs"):
        held = _reference_objects(plans, jobs)
    try:
        for p in plans:
            tests = [t for lab in p.labs for t in lab.tests if select is None or select(t)]
            with clock.phase("build", "building"):
                kit = _start_tree(p, jobs, held)
            try:
                if not quiet:
                    print(f"grader: building {', '.join(l.name for l in p.labs)} in {kit}",
                          file=sys.stderr, flush=True)
                outcomes += _run_plan(p, kit, tests, jobs, honour_deps, quiet, scale, clock)
            finally:
                if not keep:
                    tree.remove_tree(kit)
    finally:
        for folder in held.values():
            tree.remove(folder)
    order = {id(t): i for i, t in enumerate(t for p in plans for lab in p.labs for t in lab.tests)}
    return sorted(outcomes, key=lambda o: order.get(id(o.test), 0))


class SandboxError(Exception):
    """No sandbox can be made here and a submission is to be graded without --no-sandbox."""


def use_sandbox(wanted, submission, notes):
    """Whether this grading run's untrusted steps run in sandboxes (grader/sandbox.py); a
    note for the report says which. wanted False (--no-sandbox): never. Where bwrap cannot
    make one: a submission is refused (SandboxError); the repository's own student files
    or the reference (a student grading their own work, an instructor the reference) are
    graded without, with a warning."""
    if not wanted:
        notes.append("sandbox: off (--no-sandbox): the student code ran as this user")
        return False
    why = sandbox.problem()
    if why is None:
        notes.append("sandbox: on (bubblewrap: each build, unit test and QEMU run saw its grading tree only, "
                     "without network)")
        return True
    if submission is not None:
        raise SandboxError(f"{why}. Without a sandbox a submission's code runs as you, with your files and "
                           "network in reach: refused. See docs/instructor/sandbox.rst; --no-sandbox "
                           "(make grade NO_SANDBOX=1) grades without one")
    print(f"grader: warning: {why}: grading this repository's own files without a sandbox",
          file=sys.stderr, flush=True)
    notes.append(f"sandbox: off ({why})")
    return False


def grade(lab_id=None, submission=None, solutions=False, catchup=False, jobs=2, keep=False,
          scale=1.0, sandboxed=True):
    """Grade lab lab_id ("0", "x1"; None: every lab); never raises for a bad submission or a
    grader fault: the reason goes in Grade.error. Ctrl-C (KeyboardInterrupt, its argument
    naming the signal) gives a Grade with no outcomes that says what it interrupted.
    sandboxed: run the untrusted steps in sandboxes (use_sandbox); False is --no-sandbox."""
    start = time.monotonic()
    notes = []
    clock = Clock()

    def ended(outcomes, error=None, signal=None):
        return Grade(outcomes, notes, error, time.monotonic() - start, clock.seconds, signal)
    try:
        labs = manifest.load_all()
        selected = [manifest.find_lab(labs, lab_id)] if lab_id is not None else labs
        on = use_sandbox(sandboxed, submission, notes)  # before a submission is even read
        work = tempfile.mkdtemp(prefix="mvsub-")
        try:
            source = _source(labs, selected, submission, solutions, notes, work, catchup)
            plans = plan(labs, selected, source, catchup)
            with runner.sandboxed(on):
                outcomes = run_plans(plans, jobs, keep, scale=scale, clock=clock)
        finally:
            tree.remove(work)
        return ended(outcomes)
    except KeyboardInterrupt as e:
        how = e.args[0] if e.args else "Ctrl-C"
        return ended([], f"interrupted ({how}) while {clock.doing}", how)
    except (manifest.ManifestError, tree.SubmissionError, SandboxError, refobjs.ReferenceError, OSError) as e:
        return ended([], str(e))
    except Exception as e:  # never fail silently: the report says what went wrong
        return ended([], f"internal error: {type(e).__name__}: {e}")


def _source(labs, selected, submission, solutions, notes, work, catchup=False):
    """The function that gives each lab's student files for this grading run (in catch-up
    mode a submission gives only the graded labs')."""
    if submission is None:
        if solutions:
            notes.append("graded: the reference solutions")
            return lambda lab: tree.reference_overlay([lab])
        notes.append("graded: the student files as they are in this repository (no submission given)")
        return lambda lab: {f: manifest.ROOT / f for f in lab.student_files}
    folder = tree.open_submission(str(submission), work)
    allowed = [f for lab in (selected if catchup else up_to_selected(labs, selected)) for f in lab.student_files]
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
