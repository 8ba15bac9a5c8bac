"""Hidden tests: their sources never reach a grading tree, their programs only an image of their own that only hidden tests boot (grader/tree.py, grader/cache.py, Makefile's guest-hidden).

A copy of the instructor's repository gets a hidden program and a hidden.toml for lab 0;
the reference is graded there (with its own build cache, made from scratch), and a spy on
each grading tree checks what it holds."""
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
import unittest

from grader import manifest, tree

ROOT = manifest.ROOT
MARKER = "minivmm-hidden-program-marker-7f3a"
PROGRAM = f'''/* A hidden program of grader/tests/test_hidden.py. */
#include "../../kernel.h"

PROGRAM(lab0_secret, "lab0-secret", "a hidden test of the grader's own tests")
{{
    static const char marker[] = "{MARKER}";
    if (marker[0] != 'm')
        return test_fail("lab0-secret", "marker"), 1;
    test_pass("lab0-secret");
    return 0;
}}
'''
MANIFEST = '''[[tests]]
name = "lab0-secret"
kind = "qemu"
program = "lab0-secret"
what = "a hidden test"
points = 1
timeout = 30
'''
# Run in the copy: grade lab 0's reference, each grading tree looked at before its tests run.
DRIVER = f'''
import json, pathlib
from unittest import mock
from grader import grade
seen = []
real = grade._run_plan
def spy(p, kit, *args, **kw):
    kit = pathlib.Path(kit)
    seen.append({{
        "sources": sorted(str(q.relative_to(kit)) for q in kit.rglob("*")
                          if q.is_file() and not q.relative_to(kit).parts[0] == "build"
                          and (q.name == "hidden.toml" or "programs/hidden" in q.as_posix())),
        "visible": b"{MARKER}" in (kit / "build/guest/tinykernel.elf").read_bytes(),
        "hidden": (kit / "build/guest/tinykernel-hidden.elf").is_file()
                  and b"{MARKER}" in (kit / "build/guest/tinykernel-hidden.elf").read_bytes(),
    }})
    return real(p, kit, *args, **kw)
with mock.patch.object(grade, "_run_plan", spy):
    g = grade.grade("0", solutions=True)
print("RESULT " + json.dumps({{"seen": seen, "error": g.error,
                              "outcomes": {{o.test.name: [o.passed, o.reason] for o in g.outcomes}}}}))
'''


@unittest.skipUnless((ROOT / "solutions").is_dir(), "the instructor's repository only (solutions/)")
@unittest.skipUnless(shutil.which("qemu-system-arm"), "needs qemu-system-arm")
class HiddenTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = pathlib.Path(tempfile.mkdtemp(prefix="mvhidden-"))
        repo = cls.tmp / "repo"
        shutil.copytree(ROOT, repo, ignore=shutil.ignore_patterns("build", ".git", "__pycache__", "_build"))
        (repo / tree.HIDDEN_DIR).mkdir(parents=True, exist_ok=True)
        (repo / tree.HIDDEN_DIR / "secret.c").write_text(PROGRAM)
        (repo / "labs/lab0-setup/hidden.toml").write_text(MANIFEST)
        r = subprocess.run([sys.executable, "-c", DRIVER], cwd=repo, capture_output=True, text=True, timeout=600)
        cls.log = r.stdout[-3000:] + r.stderr[-3000:]
        line = [l for l in r.stdout.splitlines() if l.startswith("RESULT ")]
        cls.result = json.loads(line[-1][7:]) if line else None

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_the_hidden_test_passes_on_its_own_image(self):
        self.assertIsNotNone(self.result, self.log)
        self.assertIsNone(self.result["error"], self.log)
        self.assertEqual(self.result["outcomes"].get("lab0-secret"), [True, "ok"], self.log)
        self.assertTrue(all(ok for ok, _ in self.result["outcomes"].values()), self.result["outcomes"])

    def test_no_hidden_source_in_the_grading_tree(self):
        self.assertIsNotNone(self.result, self.log)
        self.assertEqual([s["sources"] for s in self.result["seen"]], [[]])

    def test_only_the_hidden_image_holds_the_program(self):
        self.assertIsNotNone(self.result, self.log)
        (seen,) = self.result["seen"]
        self.assertFalse(seen["visible"], "the hidden program is in tinykernel.elf, which every test boots")
        self.assertTrue(seen["hidden"], "tinykernel-hidden.elf lacks the hidden program")


class TreeTest(unittest.TestCase):
    def test_hidden_paths(self):
        for rel in ("labs/lab0-setup/hidden.toml", tree.HIDDEN_DIR, tree.HIDDEN_DIR + "/x.c"):
            self.assertTrue(tree.is_hidden(rel), rel)
        for rel in ("labs/lab0-setup/lab.toml", "guests/tinykernel/programs/lab0.c", "hidden.toml",
                    "labs/lab0-setup/tests/hidden.toml"):
            self.assertFalse(tree.is_hidden(rel), rel)


if __name__ == "__main__":
    unittest.main()
