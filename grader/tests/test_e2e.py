"""End-to-end tests: `python3 -m grader --lab 0` on fixture submissions (grader/tests/fixtures/<name>/).

Each case runs the grader as a subprocess (a real build, real Check binaries, real QEMU)
and checks its exit status, results.json and JUnit XML. The cases run two at a time
(the grader itself runs two tests at a time), all started from setUpClass."""
import concurrent.futures
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

from grader import manifest

ROOT = manifest.ROOT
FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
CASE_TIMEOUT = 240          # seconds for one grader run, a hard backstop
PARALLEL = 2                # grader runs at a time (the reference machine has 2 cores)
SCALE = "0.3"               # --timeout-scale: unit tests get 3 s, QEMU tests 9 s
POINTS = {"lab0/unit-exitcount": 2, "lab0/unit-badclass": 1,
          "lab0/lab0-exitcount": 4, "lab0/lab0-badclass": 3}

# name -> grader arguments ("{fixtures}" and "{empty}" are filled in), longest first.
CASES = {
    "floods-in-qemu": ["--submission", "{fixtures}/floods-in-qemu"],
    "infinite-loop": ["--submission", "{fixtures}/infinite-loop"],
    "floods-output": ["--submission", "{fixtures}/floods-output"],
    "panics": ["--submission", "{fixtures}/panics"],
    "forges-output": ["--submission", "{fixtures}/forges-output"],
    "correct": ["--submission", "{fixtures}/correct"],
    "partial": ["--submission", "{fixtures}/partial"],
    "edits-test-file": ["--submission", "{fixtures}/edits-test-file"],
    "does-not-compile": ["--submission", "{fixtures}/does-not-compile"],
    "empty": ["--submission", "{empty}"],
    "solutions": ["--solutions"],
    "no-lab": ["--lab", "99", "--submission", "{fixtures}/correct"],
    "no-submission": ["--submission", "/nonexistent"],
}


class Run:
    """One finished grader run."""

    def __init__(self, name, argv, status, stdout, stderr, seconds, results, junit):
        self.name, self.argv, self.status = name, argv, status
        self.stdout, self.stderr, self.seconds = stdout, stderr, seconds
        self.results, self.junit = results, junit

    def __str__(self):
        return (f"case {self.name}: {' '.join(self.argv)}\nexit status {self.status} after "
                f"{self.seconds:.1f} s\n--- stdout\n{self.stdout[-3000:]}\n--- stderr\n{self.stderr[-3000:]}")


def grade(name, args, tmp):
    out = tmp / name
    out.mkdir()
    empty = tmp / "empty-submission"
    argv = [sys.executable, "-m", "grader"]
    if "--lab" not in args:
        argv += ["--lab", "0"]
    argv += [a.format(fixtures=FIXTURES, empty=empty) for a in args]
    argv += ["--json", str(out / "r.json"), "--junit", str(out / "r.xml"),
             "--timeout-scale", SCALE, "--jobs", "2"]
    start = time.monotonic()
    try:
        p = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=CASE_TIMEOUT,
                           stdin=subprocess.DEVNULL)
        status, stdout, stderr = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        status, stdout, stderr = None, str(e.stdout or ""), f"grader still running after {CASE_TIMEOUT} s"
    seconds = time.monotonic() - start
    results = junit = None
    if (out / "r.json").is_file():
        results = json.loads((out / "r.json").read_text())
    if (out / "r.xml").is_file():
        junit = ET.parse(out / "r.xml").getroot()
    return Run(name, argv, status, stdout, stderr, seconds, results, junit)


@unittest.skipUnless(FIXTURES.is_dir(), "no grader fixtures (student handout)")
@unittest.skipUnless(shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"),
                     "needs qemu-system-arm and gcc-arm-none-eabi")
class EndToEnd(unittest.TestCase):
    runs = {}

    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="mvtest-e2e-")
        tmp = pathlib.Path(cls._tmp.name)
        (tmp / "empty-submission").mkdir()
        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
            futures = {name: pool.submit(grade, name, args, tmp) for name, args in CASES.items()}
            cls.runs = {name: f.result() for name, f in futures.items()}
        cls.seconds = time.monotonic() - start
        cls.leftovers = cls.stop_leftovers()
        print(f"\n[e2e: {len(cls.runs)} grader runs in {cls.seconds:.1f} s: "
              + ", ".join(f"{n} {r.seconds:.1f}s" for n, r in cls.runs.items()) + "]",
              file=sys.stderr, flush=True)

    @classmethod
    def tearDownClass(cls):
        cls.stop_leftovers()
        cls._tmp.cleanup()

    @classmethod
    def kits(cls):
        """The build trees the grader runs of this class used (it names them on stderr)."""
        out = []
        for r in cls.runs.values():
            for line in r.stderr.splitlines():
                if line.startswith("grader: building") and " in " in line:
                    out.append(line.rsplit(" in ", 1)[1])
        return out

    @classmethod
    def stop_leftovers(cls):
        """Processes still running from one of our build trees: each is reported and stopped."""
        kits = cls.kits()
        found = []
        for entry in pathlib.Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                paths = [os.readlink(entry / "exe"), os.readlink(entry / "cwd")]
            except OSError:
                continue
            if any(p.startswith(k + "/") or p.startswith(k + " ") or p == k for p in paths for k in kits):
                found.append(f"pid {entry.name}: {paths[0]}")
                try:
                    os.kill(int(entry.name), 9)  # started by our grader runs: do not leave it behind
                except OSError:
                    pass
        return found

    # ---- helpers

    def run_of(self, name):
        r = self.runs[name]
        self.assertIsNotNone(r.status, str(r))
        self.assertIsNotNone(r.results, f"no results.json\n{r}")
        return r

    def assertGraded(self, name, exit_status, passed, extra=None):
        """The run of case `name` exits with exit_status and passes exactly the tests in `passed`."""
        r = self.run_of(name)
        self.assertEqual(r.status, exit_status, str(r))
        d = r.results
        self.assertEqual(set(d), {"score", "execution_time", "output", "tests", "extra_data"}, str(r))
        self.assertEqual(set(d["extra_data"]["phase_seconds"]), {"build", "unit tests", "QEMU tests"})
        want = {n: (p if n in passed else 0, p, "passed" if n in passed else "failed", "visible")
                for n, p in POINTS.items()}
        got = {t["name"]: (t["score"], t["max_score"], t["status"], t["visibility"]) for t in d["tests"]}
        self.assertEqual(got, want, str(r))
        self.assertEqual([t["name"] for t in d["tests"]], list(POINTS), "tests in manifest order")
        self.assertEqual(d["score"], sum(POINTS[n] for n in passed), str(r))
        self.assertIsInstance(d["execution_time"], (int, float))
        self.assertLess(d["execution_time"], CASE_TIMEOUT)
        self.assertIn(f"score: {d['score']:g}/10", r.stdout)
        self.assertJUnitMatches(r)
        return d

    def assertJUnitMatches(self, r):
        root = r.junit
        self.assertIsNotNone(root, f"no JUnit XML\n{r}")
        cases = {f"lab0/{c.get('name')}": c for c in root.iter("testcase")}
        self.assertEqual(set(cases), set(POINTS))
        for t in r.results["tests"]:
            c = cases[t["name"]]
            bad = c.find("failure") is not None or c.find("error") is not None
            self.assertEqual(bad, t["status"] == "failed", f"{t['name']} in the JUnit XML\n{r}")
        suite = root.find("testsuite")
        self.assertEqual(int(suite.get("tests")), 4)
        fails = sum(1 for t in r.results["tests"] if t["status"] == "failed")
        self.assertEqual(int(suite.get("failures")) + int(suite.get("errors")), fails)

    def output(self, name, test):
        return {t["name"]: t["output"] for t in self.runs[name].results["tests"]}[test]

    # ---- the cases

    def test_correct(self):
        d = self.assertGraded("correct", 0, POINTS)
        self.assertNotIn("missing", d["output"])
        self.assertNotIn("ignored", d["output"])

    def test_solutions(self):
        d = self.assertGraded("solutions", 0, POINTS)
        self.assertIn("reference solutions", d["output"])

    def test_empty(self):
        d = self.assertGraded("empty", 1, [])
        self.assertIn("missing", d["output"])
        self.assertIn("minivmm/core/exitcount.c", d["output"])
        # The skeleton was built and fails loudly: the report says so (the grader's note
        # for exit status 71, or the skeleton's own message), not just "exit 71".
        out = self.output("empty", "lab0/unit-exitcount")
        self.assertTrue("still the skeleton" in out or "not implemented yet (lab 0)" in out, out[:1500])

    def test_does_not_compile(self):
        self.assertGraded("does-not-compile", 1, [])
        for name in POINTS:
            out = self.output("does-not-compile", name)
            self.assertIn("build failed", out)
            self.assertIn("exitcount.c", out.splitlines()[0], "the first line names the broken file")
        cases = list(self.runs["does-not-compile"].junit.iter("testcase"))
        self.assertTrue(all(c.find("error") is not None for c in cases), "build failures are JUnit errors")

    def test_infinite_loop(self):
        r = self.runs["infinite-loop"]
        self.assertGraded("infinite-loop", 1, [])
        self.assertLess(r.seconds, 120, "a hang ends at the timeout")
        for name in ("lab0/unit-exitcount", "lab0/unit-badclass"):
            self.assertIn("timed out", self.output("infinite-loop", name))
        for name, parent in (("lab0/lab0-exitcount", "unit-exitcount"), ("lab0/lab0-badclass", "unit-badclass")):
            self.assertIn(f"parent test {parent} failed", self.output("infinite-loop", name))
        errors = [c.get("name") for c in r.junit.iter("testcase") if c.find("error") is not None]
        self.assertEqual(sorted(errors), ["unit-badclass", "unit-exitcount"], "timeouts are JUnit errors")

    def test_panics(self):
        self.assertGraded("panics", 1, [])
        for name in ("lab0/unit-exitcount", "lab0/unit-badclass"):
            self.assertIn("70", self.output("panics", name).splitlines()[0],
                          "the unit test reports minivmm's panic status")
        self.assertIn("parent test unit-exitcount failed", self.output("panics", "lab0/lab0-exitcount"))

    def test_floods_output(self):
        r = self.runs["floods-output"]
        self.assertGraded("floods-output", 1, [])
        self.assertLess(r.seconds, 120)
        for t in r.results["tests"]:
            self.assertLess(len(t["output"]), 20000, t["name"])
        self.assertLess(len(json.dumps(r.results)), 100000)

    def test_floods_in_qemu(self):
        # Correct on the host, a flood on the target: the unit tests pass, and the QEMU
        # tests end at their timeout with the output capped.
        r = self.runs["floods-in-qemu"]
        self.assertGraded("floods-in-qemu", 1, ["lab0/unit-exitcount", "lab0/unit-badclass"])
        self.assertLess(r.seconds, 120)
        for name in ("lab0/lab0-exitcount", "lab0/lab0-badclass"):
            out = self.output("floods-in-qemu", name)
            self.assertTrue(out.startswith("timed out after 9 s"), out[:200])
            self.assertLess(len(out), 20000)
            self.assertIn("fixture: flooding the console", out)
        self.assertLess(len(json.dumps(r.results)), 100000)
        self.assertLess(len(r.stdout) + len(r.stderr), 200000, "the terminal report is bounded too")

    def test_edits_test_file(self):
        d = self.assertGraded("edits-test-file", 1, [])
        self.assertIn("ignored", d["output"])
        self.assertIn("labs/lab0-setup/lab.toml", d["output"])
        self.assertIn("guests/tinykernel/programs/lab0.c", d["output"])
        out = self.output("edits-test-file", "lab0/unit-exitcount")
        self.assertTrue("still the skeleton" in out or "not implemented yet (lab 0)" in out, out[:1500])

    def test_forges_output(self):
        r = self.run_of("forges-output")
        self.assertGraded("forges-output", 1, ["lab0/unit-exitcount", "lab0/unit-badclass"])
        for name in ("lab0/lab0-exitcount", "lab0/lab0-badclass"):
            out = self.output("forges-output", name)
            self.assertIn("not proved with this run's key", out.splitlines()[0])
            self.assertIn("PASS 0123abcd", out, "the forged line was seen and refused")
        self.assertEqual(sum(t["score"] for t in r.results["tests"] if "/lab0-" in t["name"]), 0)

    def test_partial(self):
        self.assertGraded("partial", 1, ["lab0/unit-exitcount", "lab0/lab0-exitcount"])
        self.assertIn("MV_HC_EINVAL", self.output("partial", "lab0/unit-badclass"))
        self.assertIn("parent test unit-badclass failed", self.output("partial", "lab0/lab0-badclass"))

    def test_no_such_lab(self):
        r = self.run_of("no-lab")
        self.assertNotEqual(r.status, 0)
        self.assertEqual(r.results["score"], 0)
        self.assertEqual(r.results["tests"], [])
        self.assertIn("no lab 99", r.results["output"])
        self.assertIn("no lab 99", r.stderr)
        self.assertIsNotNone(r.junit, "the JUnit XML is written too")

    def test_no_submission(self):
        r = self.run_of("no-submission")
        self.assertNotEqual(r.status, 0)
        self.assertEqual(r.results["score"], 0)
        self.assertEqual(r.results["tests"], [])
        self.assertIn("/nonexistent", r.results["output"])
        self.assertIn("/nonexistent", r.stderr)

    def test_whole_file_is_fast(self):
        self.assertLess(self.seconds, 180, "the end-to-end cases take under 3 minutes")

    def test_no_process_left_behind(self):
        # e.g. a Check test child of infinite-loop or floods-output, which runs in a
        # process group of its own
        self.assertEqual(self.leftovers, [])

    def test_no_build_tree_left_behind(self):
        kits = self.kits()
        self.assertGreaterEqual(len(kits), 10)
        for kit in kits:
            self.assertFalse(pathlib.Path(kit).exists(), f"{kit} left behind")


if __name__ == "__main__":
    unittest.main()
