"""grader/sandbox.py: every untrusted step (make, a Check program, a QEMU run) in a bubblewrap
sandbox of its own: it sees its tree only, writes its writable places only, has no network,
leaves no process behind, gets a cleared environment and limits; real tests still pass in it;
grading refuses a submission where no sandbox can be made."""
import contextlib
import io
import json
import os
import pathlib
import platform
import secrets
import shutil
import socket
import tempfile
import unittest
from unittest import mock

from grader import grade, manifest, objcheck, proc, qemu, runner, sandbox, tree

ROOT = manifest.ROOT
CAN_SANDBOX = sandbox.problem() is None
WHY_NOT = sandbox.problem() or ""
REFERENCE = ROOT / "build" / "sol" / "minivmm.elf"
GUEST = ROOT / "build" / "guest" / "tinykernel.elf"
HAVE_REFERENCE = REFERENCE.is_file() and GUEST.is_file() and bool(shutil.which("qemu-system-arm"))


def find_test(lab_number, name):
    lab = next(l for l in manifest.load_all() if l.number == lab_number and l.arch == "arm")
    return next(t for t in lab.tests if t.name == name)


def processes_with(token):
    """Host processes whose command line holds token."""
    found = []
    for e in os.scandir("/proc"):
        if e.name.isdigit():
            try:
                with open(f"/proc/{e.name}/cmdline", "rb") as f:
                    if token.encode() in f.read():
                        found.append(int(e.name))
            except OSError:
                pass
    return found


class Argv(unittest.TestCase):
    """The bwrap argv itself (no sandbox made)."""

    def test_every_step_gets_the_same_walls(self):
        argv = sandbox.command(["true"], "/tmp/t/kit", writable=["/tmp/t/kit/build"],
                               limits=sandbox.limits("build", 60))
        for opt in ("--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--clearenv"):
            self.assertIn(opt, argv)
        self.assertNotIn("--share-net", argv)
        self.assertIn("--as-pid-1", argv)  # the namespace ends with the command, before bwrap returns
        i = argv.index("--tmpfs", argv.index("/dev/shm"))  # the private /tmp, size-limited
        self.assertEqual(argv[i - 2:i + 2], ["--size", str(sandbox.TMP_SIZE), "--tmpfs", "/tmp"])
        self.assertIn(["--ro-bind", "/tmp/t/kit", "/tmp/t/kit"], [argv[j:j + 3] for j in range(len(argv))])
        self.assertIn(["--bind", "/tmp/t/kit/build", "/tmp/t/kit/build"], [argv[j:j + 3] for j in range(len(argv))])
        tail = argv[argv.index("prlimit"):]
        self.assertEqual(tail, ["prlimit", "--nproc=256", f"--fsize={256 << 20}", f"--as={4 << 30}",
                                "--cpu=65", "--", "true"])

    def test_writable_places_are_inside_the_tree(self):
        with self.assertRaises(ValueError):
            sandbox.command(["true"], "/tmp/t/kit", writable=["/tmp/elsewhere"])

    def test_unit_tests_address_space_fits_asan(self):
        lim = sandbox.limits("unit", 10)
        if platform.machine() == "x86_64":
            self.assertEqual(lim.address_space, (20 << 40) + (4 << 30))
        self.assertEqual(lim.cpu, 15)
        with self.assertRaises(ValueError):
            sandbox.limits("other", 1)

    def test_missing_folders_are_passable(self):
        argv = sandbox.command(["true"], "/tmp/t/kit", readable=["/opt/x/y/file"])
        self.assertIn(["--perms", "0755", "--dir", "/opt/x/y"], [argv[j:j + 4] for j in range(len(argv))])
        self.assertIn(["--perms", "0755", "--dir", "/tmp/t"], [argv[j:j + 4] for j in range(len(argv))])


@unittest.skipUnless(CAN_SANDBOX, f"no sandbox here: {WHY_NOT}")
class Contained(unittest.TestCase):
    """Real sandboxed steps (runner._step, as the build, unit tests and QEMU runs use it) of a
    small tree, each running a Python script as the student's code would."""

    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="mvsbx-")
        self.addCleanup(tmp.cleanup)
        self.kit = pathlib.Path(tmp.name).resolve() / "kit"
        (self.kit / "build").mkdir(parents=True)
        (self.kit / "Makefile").write_text("all:\n")
        outside = tempfile.TemporaryDirectory(prefix="mvsbx-outside-")
        self.addCleanup(outside.cleanup)
        self.outside = pathlib.Path(outside.name).resolve()
        (self.outside / "secret.txt").write_text("the instructor's secret\n")
        patch = runner.sandboxed()
        patch.__enter__()
        self.addCleanup(patch.__exit__, None, None, None)

    def step(self, code, kind="unit", writable=(), own=(), env=None, timeout=30, args=()):
        """Run Python code in a sandboxed step; returns (status, output)."""
        if kind == "build":  # as runner._make: the whole tree its user's, build/ writable
            writable, own = [self.kit / "build", *writable], [self.kit, *own]
        r = runner._step(["python3", "-c", code, *args], self.kit, kind, timeout, env=env,
                         writable=writable, own=own)
        return r.status, r.output

    def probe(self, code, **kw):
        """Run code that prints one JSON value; returns it."""
        status, out = self.step("import json, os, sys\n" + code, **kw)
        self.assertEqual(status, 0, out)
        return json.loads(out.strip().splitlines()[-1])

    def test_sees_the_tree_only(self):
        seen_outside = [str(self.outside / "secret.txt"), str(ROOT / "solutions"), str(ROOT / "grader"),
                        str(pathlib.Path.home()), "/etc/passwd", "/etc/shadow", "/root", "/home", "/var", "/work"]
        paths = seen_outside + [str(self.kit / "Makefile")]
        code = f"print(json.dumps({{p: os.path.exists(p) for p in {paths!r}}}))"
        for kind in ("build", "unit", "qemu"):
            with self.subTest(kind=kind):
                seen = self.probe(code, kind=kind)
                self.assertTrue(seen.pop(str(self.kit / "Makefile")), "its own tree")
                self.assertEqual([p for p, there in seen.items() if there], [], "visible outside the tree")

    WRITE = """
def can(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        return True
    except OSError:
        return False
"""

    def test_writes_only_its_places(self):
        places = {"build": str(self.kit / "build" / "made.o"), "source": str(self.kit / "Makefile"),
                  "kit": str(self.kit / "new.c"), "outside": str(self.outside / "planted"),
                  "usr": "/usr/planted", "root": "/planted", "dev": "/dev/planted"}
        code = self.WRITE + f"print(json.dumps({{k: can(p) for k, p in {places!r}.items()}}))"
        for kind, allowed in (("build", {"build"}), ("unit", set()), ("qemu", set())):
            with self.subTest(kind=kind):
                wrote = self.probe(code, kind=kind)
                self.assertEqual({k for k, ok in wrote.items() if ok}, allowed)
        self.assertEqual((self.kit / "Makefile").read_text(), "all:\n")
        self.assertFalse((self.outside / "planted").exists())
        self.assertFalse(pathlib.Path("/planted").exists())

    def test_qemu_writes_its_pcap_only(self):
        pcap = self.kit / "build" / "test-logs" / "x.pcap"
        pcap.parent.mkdir()
        pcap.touch()
        code = self.WRITE + (f"print(json.dumps([can({str(pcap)!r}), "
                             f"can({str(pcap.parent / 'other.pcap')!r})]))")
        self.assertEqual(self.probe(code, kind="qemu", writable=[pcap]), [True, False])

    def test_private_tmp_is_private_and_limited(self):
        name = f"mvsbx-{secrets.token_hex(4)}"
        code = f"""
open("/tmp/{name}", "w").write("x")
try:
    with open("/tmp/big", "wb") as f:
        for _ in range({sandbox.TMP_SIZE // (1 << 20) + 16}):
            f.write(bytes(1 << 20))
    full = False
except OSError:
    full = True
print(json.dumps([os.environ["TMPDIR"], full]))"""
        self.assertEqual(self.probe(code), ["/tmp", True])
        self.assertFalse(pathlib.Path("/tmp", name).exists(), "the sandbox's /tmp is its own")

    def test_no_network(self):
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.setblocking(False)
        self.addCleanup(server.close)
        port = server.getsockname()[1]
        code = f"""
import socket
out = {{}}
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=5)
    out["loopback"] = "connected"
except OSError as e:
    out["loopback"] = type(e).__name__
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # connect() of UDP sends nothing
try:
    u.connect(("192.0.2.1", 9))
    out["outside"] = "routed"
except OSError as e:
    out["outside"] = e.errno
out["interfaces"] = [l.split(":")[0].strip() for l in open("/proc/net/dev").read().splitlines()[2:]]
print(json.dumps(out))"""
        for kind in ("build", "unit", "qemu"):
            with self.subTest(kind=kind):
                out = self.probe(code, kind=kind)
                self.assertEqual(out["loopback"], "ConnectionRefusedError", "the host's 127.0.0.1 is not its")
                self.assertEqual(out["outside"], 101, "no route anywhere (ENETUNREACH)")
                self.assertEqual(out["interfaces"], ["lo"])
        with self.assertRaises(BlockingIOError):
            server.accept()

    DAEMON = """
import os, sys, time
r, w = os.pipe()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:  # double fork, new session: a daemon
        fd = os.open("/dev/null", os.O_RDWR)
        for n in (0, 1, 2):
            os.dup2(fd, n)
        os.write(w, b"up")
        time.sleep(600)
    os._exit(0)
os.read(r, 2)
print("daemon up", flush=True)
"""

    def test_no_process_outlives_its_step(self):
        """Gone when the step returns, not a moment later (looked for at once, 10 times a kind)."""
        for kind in ("build", "unit", "qemu"):
            with self.subTest(kind=kind):
                for _ in range(10):
                    token = f"mvsbx-daemon-{secrets.token_hex(6)}"
                    status, out = self.step(self.DAEMON, kind=kind, args=[token])
                    self.assertIn("daemon up", out)
                    self.assertEqual(processes_with(token), [], "the daemon survived its step")

    def test_the_same_daemon_survives_without_the_sandbox(self):
        """The test above can fail: without the sandbox the daemon lives on (then killed here)."""
        token = f"mvsbx-daemon-{secrets.token_hex(6)}"
        with runner.sandboxed(False):
            status, out = self.step(self.DAEMON, args=[token])
        self.assertIn("daemon up", out)
        left = processes_with(token)
        for pid in left:
            os.kill(pid, 9)
        self.assertEqual(len(left), 1)

    def test_environment_is_cleared(self):
        with mock.patch.dict(os.environ, {"MVTEST_SECRET": "instructor", "GRADER_TOKEN": "x"}):
            env = self.probe("print(json.dumps(dict(os.environ)))", env={"CK_FORK": "yes"})
        self.assertEqual(env, {"PATH": sandbox.PATH, "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
                               "CK_FORK": "yes", "PWD": str(self.kit)})  # PWD: bwrap's --chdir

    def test_limits_and_user(self):
        code = """
import resource
lims = {n: resource.getrlimit(getattr(resource, "RLIMIT_" + n)) for n in ("NPROC", "FSIZE", "AS", "CPU")}
caps = [l.split()[1] for l in open("/proc/self/status") if l.startswith(("CapEff", "CapPrm", "CapBnd"))]
print(json.dumps({"lims": lims, "caps": caps, "uid": os.getuid()}))"""
        inf = resource_infinity()
        for kind in ("build", "unit", "qemu"):
            with self.subTest(kind=kind):
                want = sandbox.limits(kind, 30)
                got = self.probe(code, kind=kind)
                asp = want.address_space if want.address_space is not None else inf
                self.assertEqual(got["lims"], {"NPROC": [256, 256], "FSIZE": [256 << 20] * 2, "AS": [asp, asp],
                                               "CPU": [want.cpu, want.cpu]})
                self.assertEqual(got["caps"], ["0000000000000000"] * 3)
                self.assertEqual(got["uid"], sandbox.SANDBOX_UID if sandbox.as_root() else os.getuid())

    def test_process_limit_holds(self):
        """RLIMIT_NPROC bites (as root only because the step runs as another uid)."""
        code = """
import time
n = 0
try:
    for _ in range(400):
        if os.fork() == 0:
            time.sleep(5)
            os._exit(0)
        n += 1
except OSError:
    pass
print(json.dumps(n))"""
        self.assertLess(self.probe(code, kind="build"), 256)

    def test_memory_limit_holds(self):
        code = """
try:
    b = bytearray(6 << 30)
    print(json.dumps("allocated"))
except MemoryError:
    print(json.dumps("refused"))"""
        self.assertEqual(self.probe(code, kind="build"), "refused")


def resource_infinity():
    import resource
    return resource.RLIM_INFINITY


@unittest.skipUnless(CAN_SANDBOX, f"no sandbox here: {WHY_NOT}")
class NoUserNamespaces(unittest.TestCase):
    def test_problem_says_why(self):
        """Where bwrap cannot make its namespaces (here: inside a sandbox that forbids more
        user namespaces, as a container without them), problem() says so."""
        code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); from grader import sandbox; print(sandbox.problem())"
        argv = sandbox.command(["python3", "-c", code], readable=[ROOT / "grader"])  # bwrap's own map: --disable-userns
        r = proc.run(argv, 60)
        self.assertEqual(r.status, 0, r.output)
        self.assertIn("bwrap cannot create a sandbox here", r.output)

    def test_problem_without_bwrap(self):
        sandbox.problem.cache_clear()
        try:
            with mock.patch.object(sandbox, "bwrap", return_value=None):
                self.assertIn("bwrap is not installed", sandbox.problem())
        finally:
            sandbox.problem.cache_clear()


class Policy(unittest.TestCase):
    """Where no sandbox can be made: a submission is refused unless --no-sandbox; the
    repository's own files are graded without one, with a warning."""

    def use(self, wanted, submission, why):
        notes = []
        with mock.patch.object(sandbox, "problem", return_value=why), \
                contextlib.redirect_stderr(io.StringIO()) as err:
            on = grade.use_sandbox(wanted, submission, notes)
        return on, notes, err.getvalue()

    def test_on_where_it_works(self):
        on, notes, _ = self.use(True, "sub", None)
        self.assertTrue(on)
        self.assertTrue(notes[0].startswith("sandbox: on"))

    def test_submission_refused_without_a_sandbox(self):
        with self.assertRaises(grade.SandboxError) as e:
            self.use(True, "sub", "bwrap cannot create a sandbox here: No permissions")
        self.assertIn("--no-sandbox", str(e.exception))

    def test_own_files_graded_with_a_warning(self):
        on, notes, err = self.use(True, None, "bwrap is not installed")
        self.assertFalse(on)
        self.assertIn("warning", err)
        self.assertEqual(notes, ["sandbox: off (bwrap is not installed)"])

    def test_no_sandbox_asked(self):
        on, notes, _ = self.use(False, "sub", None)
        self.assertFalse(on)
        self.assertIn("--no-sandbox", notes[0])

    def test_grade_refuses_before_reading_the_submission(self):
        with mock.patch.object(sandbox, "problem", return_value="bwrap cannot create a sandbox here: x"), \
                mock.patch.object(grade, "_source") as source:
            g = grade.grade("0", submission="/nonexistent")
        source.assert_not_called()
        self.assertEqual(g.outcomes, [])
        self.assertIn("refused", g.error)


@unittest.skipUnless(CAN_SANDBOX, f"no sandbox here: {WHY_NOT}")
@unittest.skipUnless(HAVE_REFERENCE, "needs the built reference (make -j2 SOLUTIONS=1) and qemu-system-arm")
class RealTests(unittest.TestCase):
    """Real tests of the labs, sandboxed, against the built reference, in a tree that holds
    only what they need."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="mvsbx-real-")
        cls.kit = pathlib.Path(cls.tmp.name).resolve() / "kit"
        for rel in ("build/sol/minivmm.elf", "build/guest/tinykernel.elf", "build/sol/unit/lab0-setup",
                    "build/linux/zImage", "build/linux/initramfs.cpio"):
            if (ROOT / rel).is_file():
                (cls.kit / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / rel, cls.kit / rel)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_test(self, t):
        """(outcome, the argv of each proc.run) of t, sandboxed."""
        seen = []
        real = proc.run

        def spy(argv, *a, **kw):
            seen.append(argv)
            return real(argv, *a, **kw)
        with runner.sandboxed(), mock.patch.object(proc, "run", spy):
            o = runner.run_one(t, self.kit, "sol")
        self.assertTrue(seen and all(pathlib.Path(a[0]).name == "bwrap" for a in seen), seen)
        return o, seen

    def test_qemu_test_passes(self):
        o, _ = self.run_test(find_test(0, "lab0-exitcount"))
        self.assertTrue(o.passed, o.reason + "\n" + o.output[-2000:])

    @unittest.skipUnless((ROOT / "build/sol/unit/lab0-setup").is_file(), "needs the reference's Check programs")
    def test_asan_unit_test_passes(self):
        o, _ = self.run_test(find_test(0, "unit-exitcount"))
        self.assertTrue(o.passed, o.reason + "\n" + o.output[-2000:])

    def test_network_test_passes(self):
        """lab5-ping: QEMU's user networking (slirp) inside a network namespace."""
        t = find_test(5, "lab5-ping")
        o, seen = self.run_test(t)
        self.assertTrue(o.passed, o.reason + "\n" + o.output[-2000:])
        self.assertIn("--unshare-all", seen[0])
        self.assertGreater(pathlib.Path(o.pcap).stat().st_size, 24, "QEMU wrote its pcap")

    def test_tftp_test_passes(self):
        """lab5-tftp: slirp's tftp= folder (the run's fixture in build/tmp) is readable."""
        o, _ = self.run_test(find_test(5, "lab5-tftp"))
        self.assertTrue(o.passed, o.reason + "\n" + o.output[-2000:])

    @unittest.skipUnless((ROOT / "build/linux/zImage").is_file(), "needs make linux")
    def test_guestfwd_http_passes(self):
        """linux-net: Debian's Linux fetches files over HTTP from grader/netserve.py, which
        QEMU's guestfwd cmd: starts inside the sandbox."""
        t = find_test(5, "linux-net")
        o, seen = self.run_test(t)
        self.assertTrue(o.passed, o.reason + "\n" + o.output[-3000:])
        self.assertIn(str(qemu.NETSERVE), seen[0])


HOSTILE = r"""
#if defined(__x86_64__)
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* A student's constructor: runs in every Check program before any test. */
__attribute__((constructor)) static void hostile(void)
{
    int fd = open("@OUTSIDE@/planted", O_WRONLY | O_CREAT, 0644);
    if (fd >= 0)
        close(fd);
    fd = open("Makefile", O_WRONLY | O_APPEND);
    if (fd >= 0) {
        (void)!write(fd, "# planted\n", 10);
        close(fd);
    }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(@PORT@)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s >= 0) {
        (void)!connect(s, (struct sockaddr *)&a, sizeof a);
        close(s);
    }
    if (fork() == 0) {
        setsid();
        if (fork() == 0) {
            int n = open("/dev/null", O_RDWR);
            dup2(n, 0), dup2(n, 1), dup2(n, 2);
            execlp("python3", "python3", "-c", "import time; time.sleep(600)", "@TOKEN@", (char *)0);
        }
        _exit(0);
    }
}
#endif
"""


@unittest.skipUnless(CAN_SANDBOX, f"no sandbox here: {WHY_NOT}")
@unittest.skipUnless((ROOT / "solutions").is_dir() and HAVE_REFERENCE and shutil.which("arm-none-eabi-gcc"),
                     "needs the instructor's repository and the tools")
class HostileSubmission(unittest.TestCase):
    """A real grading run (lab 0) of the reference plus a constructor that plants a file outside
    the tree, appends to the tree's Makefile, connects to the host's loopback and leaves a
    daemon: none of it happens, and the honest part still gets its marks."""

    def test_contained(self):
        with tempfile.TemporaryDirectory(prefix="mvsbx-hostile-") as d:
            d = pathlib.Path(d).resolve()
            outside = d / "outside"
            outside.mkdir()
            server = socket.socket()
            server.bind(("127.0.0.1", 0))
            server.listen(4)
            server.setblocking(False)
            token = f"mvsbx-hostile-{secrets.token_hex(6)}"
            text = ((ROOT / "solutions/minivmm/core/exitcount.c").read_text() + HOSTILE
                    .replace("@OUTSIDE@", str(outside)).replace("@PORT@", str(server.getsockname()[1]))
                    .replace("@TOKEN@", token))
            folder = d / "submission"
            (folder / "minivmm/core").mkdir(parents=True)
            (folder / "minivmm/core/exitcount.c").write_text(text)
            makefiles = []
            real_remove = tree.remove_tree

            def remove_tree(kit):  # the tree's Makefile, before the tree goes
                makefiles.append((pathlib.Path(kit) / "Makefile").read_text())
                real_remove(kit)
            # The object inspection (objcheck.py) would refuse the constructor before anything
            # runs; switched off here, so that this test shows what the sandbox alone contains.
            with mock.patch.object(tree, "remove_tree", remove_tree), \
                    mock.patch.object(objcheck, "inspect", return_value={}), \
                    contextlib.redirect_stderr(io.StringIO()):
                g = grade.grade("0", submission=str(folder), jobs=2)
            try:
                with self.assertRaises(BlockingIOError):
                    server.accept()
            finally:
                server.close()
                left = processes_with(token)
                for pid in left:
                    os.kill(pid, 9)
            self.assertIsNone(g.error)
            self.assertEqual(left, [], "the daemon survived")
            self.assertFalse((outside / "planted").exists())
            self.assertTrue(makefiles and not any("# planted" in m for m in makefiles))
            self.assertTrue(any(n.startswith("sandbox: on") for n in g.notes), g.notes)
            self.assertEqual({o.test.name: o.passed for o in g.outcomes},
                             {t.name: True for t in find_test(0, "unit-exitcount").lab.tests},
                             [(o.test.name, o.reason) for o in g.outcomes])


if __name__ == "__main__":
    unittest.main()
