"""grade._build: a build from the cache has the short timeout, one that times out is not built again; TMPDIR stays in the tree."""
import pathlib
import unittest
from unittest import mock

from grader import grade, manifest, runner


class BuildTimeout(unittest.TestCase):
    def setUp(self):
        labs = manifest.load_all()
        self.plan = grade.Plan({f: pathlib.Path(f) for f in labs[0].student_files}, [labs[0]], labs)

    def build(self, seeded, results):
        self.plan.seeded = seeded
        calls = []

        def fake_build(kit, jobs, timeout=None, arch=None, targets=None):
            calls.append(timeout)
            return results.pop(0)
        with mock.patch.object(runner, "build", fake_build), \
                mock.patch.object(grade, "_broken_files", return_value=[]) as broken:
            ok, log, failed = grade._build(pathlib.Path("/nonexistent-kit"), self.plan, 2)
        return ok, log, calls, broken.call_count

    def test_timed_out_build_is_not_retried(self):
        t = runner.SEEDED_BUILD_TIMEOUT
        ok, log, calls, broken = self.build(True, [(False, f"cc1 ...\nbuild stopped after {t} s")])
        self.assertFalse(ok)
        self.assertEqual(calls, [t])  # one build, with the short timeout
        self.assertEqual(broken, 0)  # and no per-file compile afterwards
        self.assertIn("stopped after", log)

    def test_whole_tree_keeps_the_long_timeout(self):
        ok, _, calls, _ = self.build(False, [(False, "error: x")])
        self.assertFalse(ok)
        self.assertEqual(calls, [runner.BUILD_TIMEOUT])
        self.assertLessEqual(runner.SEEDED_BUILD_TIMEOUT, 60)


if __name__ == "__main__":
    unittest.main()


class TreeTmpdir(unittest.TestCase):
    """Every untrusted step of a build tree (make, a Check program, QEMU) gets TMPDIR inside
    the tree, so what it leaves there is removed with the tree."""

    def test_make_gets_tmpdir_in_the_tree(self):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            kit = pathlib.Path(d) / "kit"
            seen = {}

            def fake_run(argv, timeout, cap=None, env=None, **kw):
                seen.update(env or {})
                return mock.Mock(timed_out=False, status=0, output="")
            with mock.patch.object(runner.proc, "run", fake_run):
                runner.build(kit, 1)
            self.assertEqual(seen.get("TMPDIR"), str(kit / "build" / "tmp"))
            self.assertTrue((kit / "build" / "tmp").is_dir())
