"""Tests of grader/gradescope/: run_autograder (on a real submission, and when the grader
fails), setup.sh (syntax, idempotence) and make_zip.sh (the zip's layout)."""
import json
import os
import pathlib
import shutil
import stat
import subprocess
import tempfile
import textwrap
import unittest
import zipfile

from grader import manifest

ROOT = manifest.ROOT
HERE = ROOT / "grader" / "gradescope"
RUN = HERE / "run_autograder"
FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"


def run_autograder(env, timeout=240):
    clean = {k: v for k, v in os.environ.items()
             if k not in ("LAB", "CATCHUP", "NO_SANDBOX", "TIMEOUT_SCALE", "JOBS") and not k.startswith("AUTOGRADER_")}
    return subprocess.run(["bash", str(RUN)], env={**clean, **env}, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, cwd="/")


class Temp(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="mvtest-gs-")
        self.tmp = pathlib.Path(self._tmp.name)

    def tearDown(self):
        self._tmp.cleanup()

    def results(self, folder):
        p = pathlib.Path(folder) / "results.json"
        self.assertTrue(p.is_file(), "results.json exists")
        d = json.loads(p.read_text())
        self.assertIsInstance(d, dict)
        self.assertIsInstance(d["score"], (int, float))
        self.assertIsInstance(d.get("tests", []), list)
        return d

    def fake_kit(self, main_py):
        """A kit whose `python3 -m grader` is main_py."""
        kit = self.tmp / "fake-kit"
        (kit / "grader").mkdir(parents=True)
        (kit / "grader" / "__init__.py").write_text("")
        (kit / "grader" / "__main__.py").write_text(textwrap.dedent(main_py))
        return kit


@unittest.skipUnless(shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"),
                     "needs qemu-system-arm and gcc-arm-none-eabi")
@unittest.skipUnless((FIXTURES / "correct").is_dir(), "no grader fixtures (student handout)")
class RealGrading(Temp):
    def test_correct_submission_in_an_autograder_root(self):
        # /autograder laid out under a temporary AUTOGRADER_ROOT: source is the kit,
        # submission a copy of the "correct" fixture, results not there yet.
        ag = self.tmp / "autograder"
        ag.mkdir()
        (ag / "source").symlink_to(ROOT)
        shutil.copytree(FIXTURES / "correct", ag / "submission")
        r = run_autograder({"AUTOGRADER_ROOT": str(ag), "LAB": "0", "TIMEOUT_SCALE": "0.3", "JOBS": "2"})
        self.assertEqual(r.returncode, 0, r.stderr)
        d = self.results(ag / "results")
        self.assertEqual(d["score"], 10, json.dumps(d, indent=1)[:3000])
        self.assertEqual(sorted(t["name"] for t in d["tests"]),
                         ["lab0/lab0-badclass", "lab0/lab0-exitcount", "lab0/unit-badclass", "lab0/unit-exitcount"])
        self.assertTrue(all(t["status"] == "passed" for t in d["tests"]))
        self.assertIn("--lab 0", r.stdout)


class Failures(Temp):
    def test_python_fails(self):
        # The kit folder is empty: `python3 -m grader` cannot even start.
        empty = self.tmp / "empty"
        empty.mkdir()
        res = self.tmp / "results"
        r = run_autograder({"AUTOGRADER_SOURCE": str(empty), "AUTOGRADER_SUBMISSION": str(self.tmp),
                            "AUTOGRADER_RESULTS": str(res), "LAB": "0"})
        self.assertEqual(r.returncode, 0, r.stderr)
        d = self.results(res)
        self.assertEqual(d["score"], 0)
        self.assertEqual(d["tests"], [])
        self.assertIn("autograder failed", d["output"])
        self.assertIn("No module named grader", d["output"])

    def test_no_kit_folder(self):
        res = self.tmp / "results"
        r = run_autograder({"AUTOGRADER_ROOT": str(self.tmp / "nothing-here"), "AUTOGRADER_RESULTS": str(res)})
        self.assertEqual(r.returncode, 0, r.stderr)
        d = self.results(res)
        self.assertEqual(d["score"], 0)
        self.assertIn("nothing-here", d["output"])

    def test_crash_with_awkward_output(self):
        kit = self.fake_kit(r'''
            import sys
            sys.stderr.write('Traceback: "quoted" \\back\\slash\ttab \x01\x1b[31m ctrl \u2018uni\u2019\n')
            raise SystemExit(3)
            ''')
        res = self.tmp / "results"
        r = run_autograder({"AUTOGRADER_SOURCE": str(kit), "AUTOGRADER_RESULTS": str(res)})
        self.assertEqual(r.returncode, 0, r.stderr)
        d = self.results(res)
        self.assertEqual(d["score"], 0)
        self.assertIn("exit status 3", d["output"])
        self.assertIn('"quoted"', d["output"])
        self.assertIn("\\back\\slash", d["output"])
        self.assertIn("\u2018uni\u2019", d["output"])

    def test_invalid_results_are_replaced(self):
        kit = self.fake_kit('''
            import sys
            path = sys.argv[sys.argv.index("--json") + 1]
            open(path, "w").write('{"score": 10, "tests": [')   # cut off mid-write
            raise SystemExit(1)
            ''')
        res = self.tmp / "results"
        res.mkdir()
        run_autograder({"AUTOGRADER_SOURCE": str(kit), "AUTOGRADER_RESULTS": str(res)})
        self.assertEqual(self.results(res)["score"], 0)

    def test_stale_results_do_not_survive(self):
        kit = self.fake_kit("raise SystemExit(1)\n")
        res = self.tmp / "results"
        res.mkdir()
        (res / "results.json").write_text('{"score": 10, "tests": []}')
        run_autograder({"AUTOGRADER_SOURCE": str(kit), "AUTOGRADER_RESULTS": str(res)})
        self.assertEqual(self.results(res)["score"], 0)


class Arguments(Temp):
    ECHO = '''
        import json, sys
        path = sys.argv[sys.argv.index("--json") + 1]
        json.dump({"score": 1, "output": json.dumps(sys.argv[1:]), "tests": []}, open(path, "w"))
        raise SystemExit(1)   # not a full score: still a valid run
        '''

    def argv(self, env, files=()):
        kit = self.fake_kit(self.ECHO)
        for name, text in files:
            (kit / name).write_text(text)
        res = self.tmp / "results"
        r = run_autograder({"AUTOGRADER_ROOT": str(self.tmp / "ag"), "AUTOGRADER_SOURCE": str(kit),
                            "AUTOGRADER_RESULTS": str(res), **env})
        self.assertEqual(r.returncode, 0, r.stderr)
        d = self.results(res)
        self.assertEqual(d["score"], 1, "the grader's own results are kept")
        shutil.rmtree(kit)
        return json.loads(d["output"])

    def test_defaults(self):
        a = self.argv({})
        self.assertEqual(a[a.index("--submission") + 1], str(self.tmp / "ag" / "submission"))
        self.assertEqual(a[a.index("--json") + 1], str(self.tmp / "results" / "results.json"))
        self.assertNotIn("--lab", a)
        self.assertNotIn("--reference-for-earlier-labs", a)
        self.assertNotIn("--no-sandbox", a)

    def test_no_sandbox_from_file_and_environment(self):
        self.assertIn("--no-sandbox", self.argv({}, [("GRADESCOPE_NO_SANDBOX", "1\n")]))
        self.assertIn("--no-sandbox", self.argv({"NO_SANDBOX": "1"}))

    def test_lab_from_file_and_environment(self):
        a = self.argv({}, [("GRADESCOPE_LAB", " 3\n")])
        self.assertEqual(a[a.index("--lab") + 1], "3")
        a = self.argv({"LAB": "5"}, [("GRADESCOPE_LAB", "3\n")])
        self.assertEqual(a[a.index("--lab") + 1], "5", "the environment wins over the file")

    def test_catchup_scale_jobs(self):
        a = self.argv({"TIMEOUT_SCALE": "2", "JOBS": "3"}, [("GRADESCOPE_CATCHUP", "1\n")])
        self.assertIn("--reference-for-earlier-labs", a)
        self.assertEqual(a[a.index("--timeout-scale") + 1], "2")
        self.assertEqual(a[a.index("--jobs") + 1], "3")
        a = self.argv({"CATCHUP": "1"})
        self.assertIn("--reference-for-earlier-labs", a)


class Scripts(Temp):
    def test_executable_and_valid_bash(self):
        for name in ("setup.sh", "run_autograder", "make_zip.sh"):
            with self.subTest(script=name):
                p = HERE / name
                self.assertTrue(os.access(p, os.X_OK), f"{name} is executable")
                self.assertTrue(p.read_text().startswith("#!/usr/bin/env bash\n"))
                r = subprocess.run(["bash", "-n", str(p)], capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stderr)

    def test_setup_is_idempotent_when_everything_is_installed(self):
        pkgs = ["qemu-system-arm", "gcc-arm-none-eabi", "libnewlib-arm-none-eabi", "check", "pkg-config",
                "gcc", "make", "libc6-dev", "python3", "git", "ca-certificates", "bubblewrap"]
        if not shutil.which("dpkg-query"):
            self.skipTest("not a Debian system")
        for p in pkgs:
            q = subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True)
            if "ok installed" not in q.stdout:
                self.skipTest(f"{p} is not installed (setup.sh would install it)")
        r = subprocess.run(["bash", str(HERE / "setup.sh")], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("setup.sh: ok", r.stdout)
        self.assertNotIn("apt-get", r.stdout + r.stderr)

    def test_make_zip(self):
        out = self.tmp / "ag.zip"
        r = subprocess.run(["bash", str(HERE / "make_zip.sh"), "0", str(out)], capture_output=True,
                           text=True, timeout=120, env={**os.environ, "CATCHUP": "", "NO_SANDBOX": ""})
        self.assertEqual(r.returncode, 0, r.stderr)
        with zipfile.ZipFile(out) as z:
            names = set(z.namelist())
            for top in ("setup.sh", "run_autograder", "Makefile", "grader/__main__.py",
                        "labs/lab0-setup/lab.toml", "minivmm/core/exitcount.c", "GRADESCOPE_LAB"):
                self.assertIn(top, names)
            self.assertEqual(z.read("GRADESCOPE_LAB").decode().strip(), "0")
            self.assertNotIn("GRADESCOPE_CATCHUP", names)
            self.assertNotIn("GRADESCOPE_NO_SANDBOX", names)
            self.assertEqual(z.read("run_autograder"), (HERE / "run_autograder").read_bytes())
            for name in ("setup.sh", "run_autograder"):
                mode = z.getinfo(name).external_attr >> 16
                self.assertTrue(mode & stat.S_IXUSR, f"{name} keeps its executable bit")
            if (ROOT / "solutions").is_dir():
                self.assertIn("solutions/minivmm/core/exitcount.c", names)
            for hidden in ROOT.glob("labs/*/hidden.toml"):
                self.assertIn(hidden.relative_to(ROOT).as_posix(), names)
            for n in names:
                parts = n.split("/")
                self.assertFalse(parts[0] in ("build", ".git") or "__pycache__" in parts or n.endswith(".pyc"), n)
            # Gradescope unpacks it into /autograder/source: the grader runs from there.
            src = self.tmp / "source"
            z.extractall(src)
        r = subprocess.run(["python3", "-m", "grader.manifest", "student-files"], cwd=src,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("minivmm/core/exitcount.c", r.stdout.split())

    def test_make_zip_refuses_a_bad_lab(self):
        r = subprocess.run(["bash", str(HERE / "make_zip.sh"), "zero", str(self.tmp / "x.zip")],
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("usage", r.stderr)
        self.assertFalse((self.tmp / "x.zip").exists())


if __name__ == "__main__":
    unittest.main()
