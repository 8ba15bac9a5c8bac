"""Tests of grader/cache.py: the pristine build cache's key and entries, grading from it (private copies, changed files compiled afresh), and Ctrl-C."""
import hashlib
import io
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from unittest import mock

from grader import cache, grade, manifest, objcheck, runner, tree

ROOT = manifest.ROOT
FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
STUDENT_FILES = cache.student_files(manifest.load_all(), "arm")
TOOLS = "gcc 12 and friends\n"
HAVE_TOOLS = bool(shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"))

# Lab 0's reference, plus hostile code run by the unit tests in the grading tree: it writes
# into the tree's objects (not the programs that its QEMU tests then run), which must be
# private copies of the cache's.
HOSTILE = (ROOT / "solutions/minivmm/core/exitcount.c").read_text() if (ROOT / "solutions").is_dir() else ""
HOSTILE = HOSTILE.replace("uint32_t hc_exit_count(struct vcpu *v, uint32_t ec)\n{\n", """#ifdef __linux__
#include <stdio.h>
#endif

uint32_t hc_exit_count(struct vcpu *v, uint32_t ec)
{
#ifdef __linux__
    static const char *victims[] = {"build/skel/vmm/minivmm/core/vm.c.o", "build/skel/host/minivmm/core/vm.c.o",
                                    "build/guest/guests/tinykernel/console.c.o",
                                    "build/skel/src/minivmm/arch/arm/pc.c"};
    for (unsigned i = 0; i < sizeof victims / sizeof victims[0]; i++) {
        FILE *f = fopen(victims[i], "r+b");
        if (f) {
            fputs("pwned by a submission", f);
            fclose(f);
        }
    }
#endif
""")


def digest(folder):
    """sha256 of every file under folder: path, bytes and mtime."""
    h = hashlib.sha256()
    for p in sorted(pathlib.Path(folder).rglob("*")):
        if p.is_file():
            h.update(f"{p.relative_to(folder)}\0{p.stat().st_mtime_ns}\0".encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def skeletons(kit):
    return {f: (kit / f).read_bytes() for f in STUDENT_FILES if (kit / f).is_file()}


class Key(unittest.TestCase):
    """The key changes when any file of the kit copy changes, and not otherwise."""

    @classmethod
    def setUpClass(cls):
        cls.kit = tree.make_tree({})
        cls.skel = skeletons(cls.kit)
        cls.base = cache.key(cls.kit, "arm", TOOLS, cls.skel)

    @classmethod
    def tearDownClass(cls):
        tree.remove_tree(cls.kit)

    def key(self, arch="arm", tools=TOOLS):
        return cache.key(self.kit, arch, tools, self.skel)

    def test_same_kit_same_key(self):
        other = tree.make_tree({})
        try:
            self.assertEqual(cache.key(other, "arm", TOOLS, skeletons(other)), self.base)
        finally:
            tree.remove_tree(other)

    def test_every_file_changes_it(self):
        files = tree.kit_files(self.kit)
        self.assertGreater(len(files), 100)
        for rel in files:
            if rel in self.skel:
                continue  # hashed as its skeleton: see test_student_files_count_as_their_skeleton
            path = self.kit / rel
            data = path.read_bytes()
            path.write_bytes(data + b"\n")
            try:
                self.assertNotEqual(self.key(), self.base, f"a change to {rel} kept the key")
            finally:
                path.write_bytes(data)
        self.assertEqual(self.key(), self.base)

    def test_a_skeleton_changes_it(self):
        f = STUDENT_FILES[0]
        self.assertNotEqual(cache.key(self.kit, "arm", TOOLS, {**self.skel, f: self.skel[f] + b"\n"}), self.base)

    def test_new_removed_renamed_and_executable_files_change_it(self):
        extra = self.kit / "docs" / "new.rst"
        extra.write_text("new\n")
        try:
            self.assertNotEqual(self.key(), self.base)
        finally:
            extra.unlink()
        readme = self.kit / "README.md"
        data = readme.read_bytes()
        readme.rename(self.kit / "README.txt")
        try:
            self.assertNotEqual(self.key(), self.base)
        finally:
            (self.kit / "README.txt").rename(readme)
        readme.chmod(0o755)
        try:
            self.assertNotEqual(self.key(), self.base)
        finally:
            readme.chmod(0o644)
        self.assertEqual(readme.read_bytes(), data)
        self.assertEqual(self.key(), self.base)

    def test_arch_and_toolchain_change_it(self):
        self.assertNotEqual(self.key(arch="x86"), self.base)
        self.assertNotEqual(self.key(tools=TOOLS + "gcc 13\n"), self.base)

    def test_what_is_not_the_kit_does_not_change_it(self):
        # mtimes, build products and Python caches are not what make_tree copies
        tree.settle(self.kit)
        (self.kit / "build/skel").mkdir(parents=True)
        (self.kit / "build/skel/x.o").write_bytes(b"object")
        (self.kit / "grader/__pycache__").mkdir(exist_ok=True)
        (self.kit / "grader/__pycache__/x.cpython-311.pyc").write_bytes(b"pyc")
        try:
            self.assertEqual(self.key(), self.base)
        finally:
            shutil.rmtree(self.kit / "build")
            shutil.rmtree(self.kit / "grader/__pycache__")

    def test_student_files_count_as_their_skeleton(self):
        # A grading tree holds the submission's files: its key is the pristine kit's.
        f = STUDENT_FILES[0]
        data = (self.kit / f).read_bytes()
        (self.kit / f).write_text("int answer = 42;\n")
        try:
            self.assertEqual(self.key(), self.base)
        finally:
            (self.kit / f).write_bytes(data)


class Entry(unittest.TestCase):
    """intact(): an entry is whole only with every file it recorded, as it recorded it."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="mvtest-cache-")
        self.entry = pathlib.Path(self._tmp.name) / "arm-0123456789abcdef"
        for rel in ("skel/vmm/a.c.o", "skel/minivmm.elf", "guest/tinykernel.elf"):
            (self.entry / "build" / rel).parent.mkdir(parents=True, exist_ok=True)
            (self.entry / "build" / rel).write_text(rel)
        (self.entry / "entry.json").write_text(json.dumps({"key": "k", "files": cache._files(self.entry / "build")}))

    def tearDown(self):
        self._tmp.cleanup()

    def test_whole(self):
        self.assertTrue(cache.intact(self.entry, "k"))
        self.assertFalse(cache.intact(self.entry, "another key"))

    def test_missing_object(self):
        (self.entry / "build/skel/vmm/a.c.o").unlink()
        self.assertFalse(cache.intact(self.entry, "k"))

    def test_rewritten_object(self):
        (self.entry / "build/skel/vmm/a.c.o").write_text("something else")
        self.assertFalse(cache.intact(self.entry, "k"))

    def test_no_record(self):
        (self.entry / "entry.json").unlink()
        self.assertFalse(cache.intact(self.entry, "k"))


class OneBuild(unittest.TestCase):
    """Two graders at once make an entry once, and each starts from the whole entry."""

    def test_two_graders_build_once(self):
        built = []

        def fake_build(kit, jobs, arch="arm", targets=()):
            built.append(kit)
            time.sleep(0.5)  # long enough for the other grader to arrive
            (kit / "build/skel/vmm").mkdir(parents=True)
            (kit / "build/skel/vmm/x.o").write_text("object")
            return True, ""

        kits = [tree.make_tree({}), tree.make_tree({})]
        with tempfile.TemporaryDirectory(prefix="mvtest-cache-") as tmp, \
                mock.patch.object(cache, "folder", return_value=pathlib.Path(tmp)), \
                mock.patch.object(runner, "build", fake_build):
            try:
                results = [None, None]
                threads = [threading.Thread(target=lambda i=i: results.__setitem__(
                    i, cache.start(kits[i], "arm", STUDENT_FILES, 2))) for i in range(2)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                self.assertEqual(results, [True, True])
                self.assertEqual(len(built), 1, "the entry was built twice")
                for kit in kits:
                    self.assertEqual((kit / "build/skel/vmm/x.o").read_text(), "object")
                entries = [p for p in pathlib.Path(tmp).iterdir() if p.is_dir()]
                self.assertEqual([p.name[:4] for p in entries], ["arm-"], "one entry, no temporary folder left")
            finally:
                for kit in kits:
                    tree.remove_tree(kit)


    def test_a_pristine_kit_that_does_not_build_means_no_cache(self):
        kit = tree.make_tree({})
        with tempfile.TemporaryDirectory(prefix="mvtest-cache-") as tmp, \
                mock.patch.object(cache, "folder", return_value=pathlib.Path(tmp)), \
                mock.patch.object(runner, "build", return_value=(False, "x.c:1: error: broken")), \
                mock.patch("sys.stderr", new_callable=io.StringIO) as err:
            try:
                self.assertFalse(cache.start(kit, "arm", STUDENT_FILES, 2))
                self.assertFalse((kit / "build").exists(), "the tree is built whole, as without a cache")
                self.assertEqual([p.name for p in pathlib.Path(tmp).iterdir()], ["lock"], "no entry, no leftover")
            finally:
                tree.remove_tree(kit)
        self.assertIn("the pristine kit does not build; grading without the build cache", err.getvalue())
        self.assertIn("x.c:1: error: broken", err.getvalue())


def grade_lab0(tmp, text=None, folder=None):
    """Grade lab 0 of a submission: a folder, or one whose exitcount.c is text. Returns
    {test name: outcome}."""
    if folder is None:
        folder = pathlib.Path(tmp) / "submission"
        (folder / "minivmm/core").mkdir(parents=True, exist_ok=True)
        (folder / "minivmm/core/exitcount.c").write_text(text)
    g = grade.grade("0", submission=str(folder), jobs=2)
    return g, {o.test.name: o for o in g.outcomes}


@unittest.skipUnless((ROOT / "solutions").is_dir() and FIXTURES.is_dir(), "needs the instructor's repository")
@unittest.skipUnless(HAVE_TOOLS, "needs qemu-system-arm and gcc-arm-none-eabi")
class Grading(unittest.TestCase):
    """Real grading runs (lab 0) started from the repository's cache."""

    @classmethod
    def setUpClass(cls):
        kit = tree.make_tree({})
        try:  # the entry for this kit (made now if there is none)
            files = STUDENT_FILES
            if not cache.start(kit, "arm", files, 2):
                raise unittest.SkipTest("no build cache here")
            tools = cache.toolchain(kit, "arm")
            cls.key = cache.key(kit, "arm", tools, cache._skeletons(kit, files, ROOT))
            cls.entry = cache.folder() / f"arm-{cls.key[:16]}"
        finally:
            tree.remove_tree(kit)

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="mvtest-cache-")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def test_a_submission_leaves_the_entry_byte_identical(self):
        before = digest(self.entry)
        # The object inspection would refuse the file's fopen() before it runs; off here, so
        # that the submission does run and try to write into the tree.
        with mock.patch.object(objcheck, "inspect", return_value={}):
            g, by = grade_lab0(self.tmp, HOSTILE)
        self.assertIsNone(g.error)
        self.assertTrue(by["unit-exitcount"].passed, by["unit-exitcount"].output[-2000:])
        self.assertEqual(digest(self.entry), before, "grading a submission changed the cache")
        self.assertTrue(cache.intact(self.entry, self.key))

    def test_a_file_that_does_not_compile_is_reported(self):
        g, by = grade_lab0(self.tmp, folder=FIXTURES / "does-not-compile")
        for o in by.values():
            self.assertEqual(o.status, "build failed")
            self.assertEqual(o.reason, "build failed: minivmm/core/exitcount.c does not compile")

    def test_behaviour_of_the_submission_decides(self):
        _, right = grade_lab0(self.tmp, folder=FIXTURES / "correct")
        self.assertTrue(all(o.passed for o in right.values()), {n: o.reason for n, o in right.items()})
        _, half = grade_lab0(self.tmp, folder=FIXTURES / "partial")
        self.assertEqual({n for n, o in half.items() if o.passed}, {"unit-exitcount", "lab0-exitcount"})
        _, none = grade_lab0(self.tmp, folder=pathlib.Path(self.tmp))  # no file: the skeleton
        self.assertFalse(any(o.passed for o in none.values()))

    def test_a_broken_entry_is_rebuilt(self):
        private = pathlib.Path(self.tmp) / "cache"
        shutil.copytree(self.entry, private / self.entry.name)
        victim = private / self.entry.name / "build/skel/vmm/minivmm/core/vm.c.o"
        victim.unlink()
        with mock.patch.object(cache, "folder", return_value=private):
            g, by = grade_lab0(self.tmp, folder=FIXTURES / "correct")
        self.assertTrue(g.full, {n: o.reason for n, o in by.items()})
        self.assertTrue(victim.is_file(), "the broken entry was not made again")
        self.assertTrue(cache.intact(private / self.entry.name, self.key))


def qemu_children(pid):
    """The qemu-system-arm processes descended from pid (its children, or its sandboxes')."""
    parent, name = {}, {}
    for entry in pathlib.Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(l.split(":\t", 1) for l in status.splitlines() if ":\t" in l)
        if entry.name.isdigit():
            parent[int(entry.name)] = int(fields.get("PPid", "0").strip() or 0)
            name[int(entry.name)] = fields.get("Name", "").strip()

    def descends(q):
        for _ in range(16):
            q = parent.get(q, 0)
            if q == pid:
                return True
            if q <= 1:
                return False
        return False
    return [q for q, n in name.items() if n.startswith("qemu-system") and descends(q)]


@unittest.skipUnless((ROOT / "solutions").is_dir(), "needs the instructor's repository")
@unittest.skipUnless(HAVE_TOOLS, "needs qemu-system-arm and gcc-arm-none-eabi")
class Interrupt(unittest.TestCase):
    """Ctrl-C (SIGINT to the process group) or SIGTERM while QEMU tests run leaves no QEMU
    and no temporary folder, and says which phase it stopped."""

    def interrupt(self, how):
        with tempfile.TemporaryDirectory(prefix="mvtest-int-") as tmp:
            p = subprocess.Popen([sys.executable, "-m", "grader", "--lab", "1", "--solutions", "--logs", ""],
                                 cwd=ROOT, env={**os.environ, "TMPDIR": tmp}, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 start_new_session=True)
            try:
                end, seen = time.monotonic() + 300, []
                while not seen and p.poll() is None and time.monotonic() < end:
                    seen = qemu_children(p.pid)
                    time.sleep(0.01)
                self.assertTrue(seen, "the grader ran no QEMU")
                if how == "Ctrl-C":
                    os.killpg(p.pid, signal.SIGINT)
                else:
                    os.kill(p.pid, signal.SIGTERM)
                sent = time.monotonic()
                out, err = p.communicate(timeout=60)
                self.assertLess(time.monotonic() - sent, 5, "the grader took its time to stop")
            finally:
                if p.poll() is None:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
            left = subprocess.run(["pgrep", "-f", "qemu-system-arm"], capture_output=True, text=True).stdout.split()
            ours = [q for q in left if tmp in pathlib.Path(f"/proc/{q}/cmdline").read_bytes().decode(errors="replace")
                    or int(q) in seen]
            self.assertEqual(ours, [], "a QEMU of the grader outlived it")
            self.assertEqual(os.listdir(tmp), [], "a temporary folder (mvgrade-*, mvsub-*) was left")
        said = [l for l in err.splitlines() if "interrupted" in l]
        self.assertEqual(said, [f"grader: interrupted ({how}) while running the QEMU tests"], err[-2000:])
        self.assertIn("time: build", out)
        return p.returncode

    def test_ctrl_c(self):
        self.assertEqual(self.interrupt("Ctrl-C"), 130)

    def test_sigterm(self):
        self.assertEqual(self.interrupt("SIGTERM"), 143)


if __name__ == "__main__":
    unittest.main()
