"""Runs tests in a build tree: Check unit cases and QEMU boots, in parallel, each with its own timeout."""
import concurrent.futures
import contextlib
import dataclasses
import os
import pathlib
import re
import secrets

from . import netfix, proc, proofkey, qemu, sandbox, wavcheck

BUILD_TIMEOUT = 600        # a whole tree (no build cache), the pristine cache entry, make linux
SEEDED_BUILD_TIMEOUT = 60  # a tree started from the cache: the student files and the links
SKELETON_STATUS = 71   # MV_EXIT_TODO
PANIC_STATUS = 70      # MV_EXIT_PANIC
EXIT_NOTES = {SKELETON_STATUS: "a lab function is still the skeleton",
              PANIC_STATUS: "minivmm panicked", 64: "minivmm refused its command line",
              65: "minivmm refused the guest image"}


@dataclasses.dataclass
class Outcome:
    test: object
    passed: bool
    reason: str            # one line: why it failed, or "ok"
    output: str = ""
    seconds: float = 0.0
    status: str = ""       # "pass", "fail", "timeout", "parent failed", "build failed", "error"
    pcap: str = ""         # a network test's capture (in the build tree: copy it before the tree goes)
    wav: str = ""          # an audio test's WAV (the same)

    def __post_init__(self):
        if not self.status:
            self.status = "pass" if self.passed else "fail"


def make_argv(kit, args, arch="arm"):
    """make in a build tree for arch. SOLUTIONS/SUBMISSION on this command line override
    what an outer `make grade` passes down in MAKEFLAGS (the tree already holds the chosen
    files); ARCH overrides the caller's, from MAKEFLAGS or the environment."""
    return ["make", "-C", str(kit), *args, f"ARCH={arch}", "SOLUTIONS=0", "SUBMISSION="]


def tree_env(kit, **more):
    """The environment of an untrusted step in a build tree: TMPDIR inside the tree, so that
    what the compiler or a test leaves in a temporary folder goes with the tree."""
    tmp = pathlib.Path(kit) / "build" / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    return {"TMPDIR": str(tmp), **more}


# Whether the untrusted steps run in sandboxes (sandboxed()): off unless a grading run turns it on.
_sandboxed = False
# What a tree's make sees of the grader's environment in its sandbox (which clears the rest):
# an outer `make grade`'s command-line variables and level, and the variables that choose
# the compilers (as grader/cache.py's key sees them).
MAKE_ENV = ("MAKEFLAGS", "MAKELEVEL", "HOSTCC", "CROSS", "PYTHON")


@contextlib.contextmanager
def sandboxed(on=True):
    """Within it (if on), every untrusted step of a build tree (its make, each Check program,
    each QEMU run) runs in a sandbox of its own (grader/sandbox.py). Without it the steps run
    as the grader's user with its environment (the selftest's runs of the reference in the
    repository, make bench). Set once before the steps start (the test threads read it)."""
    global _sandboxed
    old, _sandboxed = _sandboxed, on
    try:
        yield
    finally:
        _sandboxed = old


def _step(argv, kit, kind, timeout, env=None, writable=(), readable=(), own=(), **kw):
    """Run one untrusted step (proc.run) in build tree kit, with env's variables. Sandboxed
    (see sandboxed()): in a sandbox of kind ("build", "unit", "qemu": its limits) that shows
    kit read-only but for the paths in writable, and the paths in readable, its user given
    the paths in own and writable first (sandbox.own: as root); else with the grader's
    environment, TMPDIR in the tree (tree_env)."""
    if not _sandboxed:
        return proc.run(argv, timeout, cwd=kit, env=tree_env(kit, **(env or {})), **kw)
    tree_env(kit)  # the tree's build/tmp (a network test's fixture is made there)
    sandbox.own([*own, *writable])
    with sandbox.Step(argv, kit, writable=writable, readable=readable, env=env,
                      limits=sandbox.limits(kind, timeout)) as s:
        return proc.run(s.argv, timeout, cwd=kit, pass_fds=s.pass_fds, started=s.started, **kw)


def stopped(what, timeout):
    """The last line of a make log that timed out (grade._build tells a timeout by it)."""
    return f"{what} stopped after {timeout} s"


def _make(kit, args, timeout, cap, what, arch, trusted=False):
    """make in a build tree; (ok, log), the log ending with stopped(what, timeout) on a timeout.
    Untrusted (the default): a step (_step) that may write only the tree's build/."""
    argv = make_argv(kit, args, arch)
    if trusted:
        r = proc.run(argv, timeout, cap=cap, env=tree_env(kit))
        if _sandboxed:  # what it made, for the sandboxed steps' user
            sandbox.own([pathlib.Path(kit) / "build"])
    else:  # the whole tree is its user's (it may write build/ only: the binds decide)
        env = {k: os.environ[k] for k in MAKE_ENV if k in os.environ}
        r = _step(argv, kit, "build", timeout, env=env, writable=[pathlib.Path(kit) / "build"], own=[kit], cap=cap)
    if r.timed_out:
        return False, r.output + "\n" + stopped(what, timeout)
    return r.status == 0, r.output


def build(kit, jobs, timeout=BUILD_TIMEOUT, arch="arm", targets=("all", "unit-bins")):
    """`make all unit-bins` (or targets) in a build tree for arch (skeleton variant: the
    tree already holds the chosen student files). Returns (ok, log)."""
    return _make(kit, [f"-j{jobs}", *targets], timeout, 512 * 1024, "build", arch)


def build_trusted(kit, jobs, targets, arch="arm", timeout=BUILD_TIMEOUT):
    """make targets in a tree that holds no student code (catch-up mode's reference
    objects, grader/refobjs.py), as the grader's user, outside any sandbox. (ok, log)."""
    return _make(kit, [f"-j{jobs}", *targets], timeout, 512 * 1024, "the reference objects", arch, trusted=True)


def unit_program(lab):
    """The Check program of a lab's unit tests, under build/<variant>/unit/ (the framework's
    for a test of no lab)."""
    return lab.name if lab else "framework"


def prepare(kit, target, timeout=BUILD_TIMEOUT, arch="arm"):
    """`make <target>` in a build tree, for what some tests' guests need (Test.needs:
    "linux" fetches Debian's kernel and busybox once, then builds the initramfs).
    Returns (ok, log). Not sandboxed: the kit's own target, which compiles nothing of the
    student's and needs the network and ~/.cache/minivmm (docs/instructor/sandbox.rst)."""
    return _make(kit, [target], timeout, 256 * 1024, f"make {target}", arch, trusted=True)


def _tail(text, lines=12):
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _check_reason(line):
    """"file:line:E:tcase:test:iteration: message" -> "test: message"."""
    parts = line.split(":", 6)
    if len(parts) < 7:
        return line.strip()
    return f"{parts[4]}: {parts[6].replace('(after this point)', '').strip()}"


def _run_unit(t, kit, variant, timeout):
    binary = kit / "build" / variant / "unit" / unit_program(t.lab)
    if not binary.is_file():
        return Outcome(t, False, f"unit test binary {binary.name} was not built")
    # Check's own per-case timeout fires first and reports the case; ours is the backstop.
    env = dict(CK_RUN_CASE=t.case, CK_FORK="yes", CK_DEFAULT_TIMEOUT=f"{timeout:g}", CK_VERBOSITY="normal")
    if _sandboxed:
        env["ASAN_OPTIONS"] = sandbox.ASAN_OPTIONS
    r = _step([str(binary)], kit, "unit", timeout + 5, env=env)
    if r.timed_out or "Test timeout expired" in r.output:
        return Outcome(t, False, f"timed out after {timeout:g} s", r.output, r.seconds, "timeout")
    if not re.search(r"Checks: [1-9]", r.output):
        return Outcome(t, False, f"Check ran no test case named '{t.case}'", r.output, r.seconds)
    if r.status != 0:
        failures = [l for l in r.output.splitlines() if ":F:" in l or ":E:" in l]
        why = _check_reason(failures[0]) if failures else f"exit status {r.status}"
        early = re.search(r"Early exit with return value (\d+)", why)
        if early and int(early.group(1)) in EXIT_NOTES:
            why += f" ({EXIT_NOTES[int(early.group(1))]})"
        return Outcome(t, False, why, r.output, r.seconds)
    return Outcome(t, True, "ok", r.output, r.seconds)


def _judge_qemu(t, r, nonce, fixture=None, pcap=None, key=None, wav=None):
    """Why a finished QEMU run does not pass, or None if it does. expect and expect_pcap
    strings have their placeholders ({nonce}, a network fixture's {sha256:NAME}) replaced.
    A test with proof needs PASS lines proved with key, the run's proof key (grader/proofkey.py;
    None: no line counts). A test with expect_wav needs the WAV at wav to meet it
    (grader/wavcheck.py)."""
    if r.status != t.expect_exit:
        note = EXIT_NOTES.get(r.status, "")
        return f"exit status {r.status}, expected {t.expect_exit}" + (f" ({note})" if note else "")
    sums = fixture.sums if fixture else None
    for s in t.expect:
        want = netfix.expand(s, nonce, sums)
        if want not in r.output:
            return f"output lacks {want!r}" + (f" (expect {s!r})" if want != s else "")
    if t.expect_pcap:
        why = netfix.pcap_problem(pcap, [netfix.expand(s, nonce, sums) for s in t.expect_pcap])
        if why:
            return why
    why = _proof_problem(t, r, key) if t.proof else None
    if why is None and t.expect_wav:  # after the guest's own FAIL line, which says more
        why = wavcheck.problem(wav, t.expect_wav)
    return why


def _proof_problem(t, r, key):
    """Why the output lacks the guest's PASS line proved with key, or None."""
    name = re.escape(t.program)
    fail = re.search(rf"^MVTEST {name} FAIL (.*)$", r.output, re.M)
    if fail:
        return f"guest reports: {fail.group(1).strip()}"
    passes = re.findall(rf"^MVTEST {name} PASS (\S+)$", r.output, re.M)
    if not passes:
        return "no result line from the guest"
    if key is None or not all(proofkey.valid(key, t.program, p) for p in passes):
        return "result line not proved with this run's key (printed by something other than the guest?)"
    return None


def test_arch(t):
    """The architecture a test runs on: its lab's (a test without a lab, such as the
    framework's integration tests, runs on ARM)."""
    return t.lab.arch if t.lab else "arm"


def pcap_path(kit, t):
    """Where a network test's run writes its pcap: build/test-logs/<lab>-<test>.pcap in the
    tree (named as report.save_logs names the test's log)."""
    lab = f"lab{t.lab.id}" if t.lab else "minivmm"
    return pathlib.Path(kit).resolve() / "build" / "test-logs" / f"{lab}-{t.name}.pcap"


def wav_path(t):
    """Where an audio test's run has minivmm write its WAV, relative to the tree (minivmm
    opens it through semihosting, from QEMU's folder, the tree: a relative path keeps the
    tree's own path, which may hold spaces or commas, off minivmm's command line):
    build/tmp/<lab>-<test>.wav."""
    lab = f"lab{t.lab.id}" if t.lab else "minivmm"
    return pathlib.PurePosixPath("build", "tmp", f"{lab}-{t.name}.wav")


GUEST = "build/guest/tinykernel.elf"
HIDDEN_GUEST = "build/guest/tinykernel-hidden.elf"  # the hidden tests' (Makefile: guest-hidden)


def keyed(t):
    """Whether test t boots a copy of tinykernel with a per-run proof key (grader/proofkey.py):
    a test that requires the guest's proved PASS line; not one with a guest of its own."""
    return t.proof and not t.guest


def _run_qemu(t, kit, variant, timeout):
    vmm = kit / "build" / variant / "minivmm.elf"
    guest = t.guest or (HIDDEN_GUEST if t.hidden else GUEST)
    if guest == HIDDEN_GUEST and not (kit / guest).is_file():
        return Outcome(t, False, f"no {HIDDEN_GUEST} for the hidden tests: only the grader's build cache "
                                 "makes it (grader/cache.py), and this tree was built without it", status="error")
    # a per-run value the guest and minivmm both see (test data, network fixtures): no proof
    nonce = secrets.token_hex(4)
    args = ([f"run={t.program}"] if t.program else []) + [f"nonce={nonce}"] + t.guest_args.split()
    arch = test_arch(t)
    opts = t.vmm_opts.split() + ([f"audio={wav_path(t)}"] if t.audio else [])

    def argv(net):
        return qemu.command(vmm, guest, opts, args, arch=arch, net=net)
    try:
        cmd = argv(qemu.net_args(""))  # checks the arch and the words before the tree is touched
    except qemu.ArchError as e:
        return Outcome(t, False, f"cannot run on QEMU: {e}", status="error")
    with contextlib.ExitStack() as stack:
        key = None
        if keyed(t):  # the trusted step: this run's image, its key written in; gone after the run
            try:
                guest, key = stack.enter_context(proofkey.keyed_guest(guest, kit))
            except (OSError, proofkey.ProofKeyError) as e:
                return Outcome(t, False, f"cannot give the guest image its proof key: {e}", status="error")
            cmd = argv(qemu.net_args(""))
        return _run_qemu_keyed(t, kit, timeout, nonce, arch, argv, cmd, guest if key else None, key)


def _run_qemu_keyed(t, kit, timeout, nonce, arch, argv, cmd, image, key):
    """The rest of _run_qemu: the run of cmd (argv(net) for a network), image the run's keyed
    copy of the guest (None: none), key its proof key."""
    fixture = pcap = wav = None
    writable, readable = [], []
    try:
        if t.audio:  # a WAV from an earlier run must not count; sandboxed, it alone is writable
            wav = pathlib.Path(kit).resolve() / wav_path(t)
            tree_env(kit)
            wav.unlink(missing_ok=True)
            if _sandboxed:
                wav.touch()
                writable.append(wav)
        if t.net:  # per-run files in the tree's TMPDIR; a pcap from an earlier run must not count
            fixture = netfix.Fixture(tree_env(kit)["TMPDIR"], nonce)
            pcap = pcap_path(kit, t)
            pcap.parent.mkdir(parents=True, exist_ok=True)
            pcap.unlink(missing_ok=True)
            cmd = argv(qemu.net_args(t.net, fixture.path, pcap, arch=arch))
            if _sandboxed:  # the pcap (and a WAV) alone writable; netserve.py and its Python readable
                pcap.touch()
                writable, readable = [pcap, *writable], [qemu.NETSERVE, *sandbox.python_dirs()]
        r = _step(cmd, kit, "qemu", timeout, writable=writable, readable=readable,
                  own=([fixture.path] if fixture else []) + ([kit / image] if image else []),
                  stdin=t.stdin.encode() if t.stdin else None,
                  stdin_after=t.stdin_after.encode() if t.stdin_after else None)
    finally:
        if fixture:
            fixture.remove()
        for f in (pcap, wav):
            if f and f.is_file() and f.stat().st_size == 0:
                f.unlink()  # the sandbox's empty file that nobody wrote: none, as unsandboxed
    out, kept, sound = r.output, str(pcap or ""), str(wav or "")
    if r.timed_out:
        return Outcome(t, False, f"timed out after {timeout:g} s", out, r.seconds, "timeout", kept, sound)
    r = dataclasses.replace(r, status=qemu.exit_status(arch, r.status))  # minivmm's status
    why = _judge_qemu(t, r, nonce, fixture, pcap, key, wav)
    return Outcome(t, why is None, why or "ok", out, r.seconds, pcap=kept, wav=sound)


def run_one(t, kit, variant="skel", scale=1.0):
    """Run test t against the build in kit/build/<variant>, its timeout multiplied by scale."""
    try:
        return (_run_unit if t.kind == "unit" else _run_qemu)(t, kit, variant, t.timeout * scale)
    except Exception as e:  # the grader's own trouble is a failed test with a reason, never a crash
        return Outcome(t, False, f"internal error: {type(e).__name__}: {e}")


def run_tests(tests, kit, jobs, honour_deps=True, progress=None, variant="skel", scale=1.0, prior=()):
    """Run tests in parallel; a test whose parent failed (among them or the outcomes
    prior, of tests run before) is not run ("parent failed")."""
    done = {o.test.name: o for o in prior}
    pending = list(tests)
    present = {t.name for t in tests} | set(done)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(jobs, 1))
    running = {}
    try:
        while pending or running:
            for t in list(pending):
                deps = [d for d in t.depends if d in present] if honour_deps else []
                parents = [done.get(d) for d in deps]
                if any(p is None for p in parents):
                    continue  # a parent is still running
                pending.remove(t)
                failed = [d for d, p in zip(deps, parents) if not p.passed]
                if failed:
                    done[t.name] = Outcome(t, False, f"parent test {failed[0]} failed",
                                           status="parent failed")
                    if progress:
                        progress(done[t.name])
                else:
                    running[pool.submit(run_one, t, kit, variant, scale)] = t
            if not running:
                continue
            finished, _ = concurrent.futures.wait(running, return_when="FIRST_COMPLETED")
            for f in finished:
                t = running.pop(f)
                done[t.name] = f.result()
                if progress:
                    progress(done[t.name])
    except KeyboardInterrupt:  # Ctrl-C: stop what runs, start nothing more
        pool.shutdown(wait=False, cancel_futures=True)
        proc.kill_all()
        # let the runs under way see their processes die before the tree is removed (not
        # the cancelled ones: wait() would take them for still pending)
        concurrent.futures.wait([f for f in running if not f.cancelled()], timeout=10)
        raise
    pool.shutdown()
    return [done[t.name] for t in tests]


def default_jobs():
    return os.cpu_count() or 2
