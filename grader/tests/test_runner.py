"""Tests of grader/runner.py and grader/proc.py: judging QEMU runs and their result proofs, timeouts, output caps,
dependencies. The proof keys themselves: test_proofkey.py."""
import functools
import os
import pathlib
import re
import sys
import threading
import time
import unittest

from grader import manifest, proc, proofkey, runner
from grader.proc import Result


def fnv1a32(data: bytes) -> int:
    """FNV-1a, 32 bits: the proofs of the grader before proof keys (a forger's guess)."""
    return functools.reduce(lambda h, b: ((h ^ b) * 0x01000193) % (1 << 32), data, 0x811C9DC5)


def qemu_test(program="lab0-exitcount", **kw):
    return manifest.Test(name=program, kind="qemu", points=4, timeout=30, program=program, **kw)


def gone(pid, wait=2.0):
    """True once pid no longer runs (a zombie waiting for a reaper counts as gone)."""
    end = time.monotonic() + wait
    while True:
        try:
            os.kill(pid, 0)
            state = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            if state in ("Z", "X"):
                return True
        except (ProcessLookupError, FileNotFoundError):
            return True
        if time.monotonic() > end:
            return False
        time.sleep(0.05)


class JudgeQemu(unittest.TestCase):
    NONCE = "1a2b3c4d"
    KEY = bytes(range(32))

    def judge(self, output, status=0, t=None, key=KEY):
        t = t or qemu_test()
        return runner._judge_qemu(t, Result(status, output, 0, 0.5), self.NONCE, key=key)

    def good(self, name="lab0-exitcount", key=KEY):
        return f"MVTEST {name} PASS {proofkey.proof(key, name)}"

    def test_correct_proof_passes(self):
        self.assertIsNone(self.judge(f"booting\n{self.good()}\nexits: 12\n"))

    def test_wrong_exit_status(self):
        why = self.judge(self.good() + "\n", status=1)
        self.assertIn("exit status 1, expected 0", why)

    def test_exit_status_notes(self):
        self.assertIn("a lab function is still the skeleton", self.judge("", status=71))
        self.assertIn("exit status 71", self.judge("", status=71))
        self.assertIn("minivmm panicked", self.judge("", status=70))
        self.assertIn("exit status 70", self.judge("", status=70))

    def test_expected_nonzero_exit(self):
        t = qemu_test(expect_exit=3, proof=False)
        self.assertIsNone(self.judge("", status=3, t=t))
        self.assertIn("exit status 0, expected 3", self.judge("", status=0, t=t))

    def test_missing_expect_substring(self):
        t = qemu_test(expect=["hello from tinykernel", "exits:"])
        why = self.judge(f"hello from tinykernel\n{self.good()}\n", t=t)
        self.assertIn("output lacks", why)
        self.assertIn("exits:", why)

    def test_fail_line(self):
        out = "MVTEST lab0-exitcount FAIL after 5 NOPs the count grew by 0, expected 6\n"
        why = self.judge(out)
        self.assertIn("guest reports", why)
        self.assertIn("after 5 NOPs the count grew by 0, expected 6", why)

    def test_fail_line_wins_over_pass(self):
        self.assertIn("guest reports", self.judge(f"{self.good()}\nMVTEST lab0-exitcount FAIL no\n"))

    def test_no_result_line(self):
        self.assertEqual(self.judge("guest powered off with code 0\n"), "no result line from the guest")

    def test_result_line_of_another_program_does_not_count(self):
        self.assertEqual(self.judge(self.good("lab0-badclass") + "\n"), "no result line from the guest")

    def test_result_line_must_be_a_whole_line(self):
        self.assertEqual(self.judge("echo " + self.good() + "\n"), "no result line from the guest")

    def test_forged_pass(self):
        why = self.judge("MVTEST lab0-exitcount PASS 0123abcd0123abcd\n")
        self.assertIn("not proved with this run's key", why)

    def test_old_nonce_proof(self):
        # FNV-1a of "<nonce>:<name>", all a VMM needed before: the nonce is on its command line
        old = f"{fnv1a32(f'{self.NONCE}:lab0-exitcount'.encode()):08x}"
        self.assertIn("not proved with this run's key", self.judge(f"MVTEST lab0-exitcount PASS {old}\n"))

    def test_replayed_pass_of_another_run(self):
        old = self.good(key=bytes(32))
        self.assertIn("not proved with this run's key", self.judge(old + "\n"))

    def test_no_key_no_pass(self):
        self.assertIn("not proved with this run's key", self.judge(self.good() + "\n", key=None))

    def test_mix_of_correct_and_forged(self):
        for out in (f"MVTEST lab0-exitcount PASS 0123abcd0123abcd\n{self.good()}\n",
                    f"{self.good()}\nMVTEST lab0-exitcount PASS 0123abcd0123abcd\n"):
            with self.subTest(out=out):
                self.assertIn("not proved with this run's key", self.judge(out))

    def test_no_proof_needed(self):
        t = qemu_test(proof=False, expect=["hello"])
        self.assertIsNone(self.judge("hello\n", t=t))


class Run(unittest.TestCase):
    def test_status_and_output(self):
        r = proc.run(["sh", "-c", "echo out; echo err >&2; exit 3"], 10)
        self.assertEqual(r.status, 3)
        self.assertFalse(r.timed_out)
        self.assertIn("out\n", r.output)
        self.assertIn("err\n", r.output)
        self.assertEqual(r.dropped, 0)

    def test_crlf_and_bad_utf8(self):
        r = proc.run(["printf", "a\\r\\nb\\377\\n"], 10)
        self.assertEqual(r.status, 0)
        self.assertIn("a\nb", r.output)

    def test_no_stdin(self):
        r = proc.run(["cat"], 5)
        self.assertEqual(r.status, 0)
        self.assertFalse(r.timed_out)

    def test_stdin_typed(self):
        r = proc.run(["sh", "-c", "read a; echo got $a"], 10, stdin=b"hello\n")
        self.assertEqual(r.output.strip(), "got hello")

    def test_stdin_after_a_prompt(self):
        # The program drains what arrives before its prompt: only input typed after it counts.
        script = "sleep 0.3; while read -t 0.2 x; do :; done; echo ready; read a; echo got $a"
        r = proc.run(["bash", "-c", script], 10, stdin=b"late\n", stdin_after=b"ready")
        self.assertIn("got late", r.output)
        r = proc.run(["bash", "-c", script], 10, stdin=b"early\n")
        self.assertNotIn("got early", r.output)

    def test_banner_time(self):
        r = proc.run(["sh", "-c", "sleep 0.3; echo BANNER; sleep 0.2"], 10, banner=b"BANNER")
        self.assertIsNotNone(r.banner_at)
        self.assertGreaterEqual(r.banner_at, 0.25)
        self.assertLess(r.banner_at, r.seconds)
        self.assertIsNone(proc.run(["true"], 10, banner=b"BANNER").banner_at)

    def test_env_and_cwd(self):
        r = proc.run(["sh", "-c", 'echo "$MVTEST_X $(pwd)"'], 10, cwd="/", env={"MVTEST_X": "yes"})
        self.assertEqual(r.output.strip(), "yes /")

    def test_timeout_kills_everything(self):
        # The shell starts a child shell that prints its pid and becomes `sleep 30`.
        start = time.monotonic()
        r = proc.run(["sh", "-c", "sh -c 'echo $$; exec sleep 30' & wait"], 1)
        elapsed = time.monotonic() - start
        self.assertTrue(r.timed_out)
        self.assertIsNone(r.status)
        self.assertLess(elapsed, 3.0)
        self.assertGreaterEqual(elapsed, 0.9)
        pid = int(r.output.split()[0])
        self.assertTrue(gone(pid), f"sleep (pid {pid}) still runs after the timeout")

    def test_timeout_kills_children_in_their_own_process_group(self):
        # Check (CK_FORK=yes) runs every test in a child with its own process group, so
        # that it can kill it at its own timeout. When the grader's backstop timeout
        # stops Check itself, the child of a hanging test must not live on, burning a
        # CPU for the rest of the grading (and of the machine's life).
        code = "import os, time; os.setpgid(0, 0); print(os.getpid(), flush=True); time.sleep(30)"
        r = proc.run(["sh", "-c", f"{sys.executable} -c '{code}' & wait"], 1.5)
        self.assertTrue(r.timed_out)
        pid = int(r.output.split()[0])
        try:
            self.assertTrue(gone(pid), f"pid {pid} (own process group) still runs after the timeout")
        finally:
            if not gone(pid, 0):
                os.kill(pid, 9)  # ours: do not leave it behind

    def test_child_ignoring_sigterm(self):
        start = time.monotonic()
        r = proc.run(["sh", "-c", "trap '' TERM; sleep 30"], 1)
        self.assertTrue(r.timed_out)
        self.assertLess(time.monotonic() - start, 3.0)

    def test_silent_process_that_closes_output(self):
        start = time.monotonic()
        r = proc.run(["sh", "-c", "exec >&- 2>&-; sleep 30"], 1)
        self.assertTrue(r.timed_out)
        self.assertLess(time.monotonic() - start, 3.0)

    def test_flood_is_capped(self):
        start = time.monotonic()
        r = proc.run(["yes", "flood"], 1.5, cap=10000)
        elapsed = time.monotonic() - start
        self.assertTrue(r.timed_out, "yes never ends: the run ends at the timeout")
        marker = f"\n[... {r.dropped} bytes of output dropped ...]\n"
        self.assertIn(marker, r.output)
        self.assertLessEqual(len(r.output.encode()) - len(marker), 10000)
        self.assertGreater(len(r.output), 9000)
        self.assertGreater(r.dropped, 0)
        self.assertTrue(r.output.startswith("flood\nflood\n"))
        self.assertLess(elapsed, 4.0)
        self.assertGreaterEqual(elapsed, 1.4)

    def test_output_below_cap_is_whole(self):
        r = proc.run(["sh", "-c", "printf '%0500d' 0"], 10, cap=500)
        self.assertEqual((len(r.output), r.dropped), (500, 0))
        r = proc.run(["sh", "-c", "printf '%0501d' 0"], 10, cap=500)
        self.assertEqual(r.dropped, 1)
        self.assertEqual(r.output.replace("\n[... 1 bytes of output dropped ...]\n", ""), "0" * 500)

    def test_the_end_of_a_long_output_is_kept(self):
        """The verdict (a Check summary, a result line) comes last: a flood before it must
        not push it out."""
        r = proc.run(["sh", "-c", "yes chatter | head -c 100000; echo; echo VERDICT"], 10, cap=4096)
        self.assertTrue(r.output.startswith("chatter\n"))
        self.assertTrue(r.output.rstrip().endswith("VERDICT"))
        self.assertGreater(r.dropped, 90000)


class Dependencies(unittest.TestCase):
    def setUp(self):
        self.calls = []
        self.lock = threading.Lock()
        self.real = runner.run_one

    def tearDown(self):
        runner.run_one = self.real

    def fake(self, results):
        def run_one(t, kit, variant="skel", scale=1.0):
            with self.lock:
                self.calls.append(t.name)
            time.sleep(0.05)
            ok = results[t.name]
            return runner.Outcome(t, ok, "ok" if ok else "broken", "output", 0.05)
        runner.run_one = run_one

    @staticmethod
    def tests():
        T = manifest.Test
        return [T("unit-a", "unit", 1, 10, case="a"),
                T("unit-b", "unit", 1, 10, case="b"),
                T("qemu-a", "qemu", 2, 30, program="a", depends=["unit-a"]),
                T("qemu-b", "qemu", 2, 30, program="b", depends=["unit-b"]),
                T("qemu-ab", "qemu", 2, 30, program="ab", depends=["qemu-a"]),
                T("free", "qemu", 2, 30, program="free")]

    def test_child_of_failed_parent_is_not_run(self):
        self.fake({"unit-a": False, "unit-b": True, "qemu-a": True, "qemu-b": True,
                   "qemu-ab": True, "free": True})
        seen = []
        outs = runner.run_tests(self.tests(), pathlib.Path("/nonexistent"), 2, progress=seen.append)
        by = {o.test.name: o for o in outs}
        self.assertEqual([o.test.name for o in outs], [t.name for t in self.tests()], "outcomes in test order")
        self.assertEqual(by["unit-a"].status, "fail")
        self.assertEqual(by["qemu-a"].status, "parent failed")
        self.assertFalse(by["qemu-a"].passed)
        self.assertIn("unit-a", by["qemu-a"].reason)
        self.assertEqual(by["qemu-ab"].status, "parent failed", "a grandchild is not run either")
        self.assertEqual(by["qemu-b"].status, "pass")
        self.assertEqual(by["free"].status, "pass")
        self.assertNotIn("qemu-a", self.calls)
        self.assertNotIn("qemu-ab", self.calls)
        self.assertEqual(sorted(self.calls), ["free", "qemu-b", "unit-a", "unit-b"])
        self.assertEqual(len(seen), 6, "progress hears of every test")

    def test_children_run_after_their_parents(self):
        self.fake({t.name: True for t in self.tests()})
        outs = runner.run_tests(self.tests(), pathlib.Path("/nonexistent"), 3)
        self.assertTrue(all(o.passed for o in outs))
        self.assertLess(self.calls.index("unit-a"), self.calls.index("qemu-a"))
        self.assertLess(self.calls.index("qemu-a"), self.calls.index("qemu-ab"))
        self.assertLess(self.calls.index("unit-b"), self.calls.index("qemu-b"))

    def test_deps_not_honoured(self):
        self.fake({t.name: t.name != "unit-a" for t in self.tests()})
        outs = runner.run_tests(self.tests(), pathlib.Path("/nonexistent"), 2, honour_deps=False)
        self.assertEqual(sorted(self.calls), sorted(t.name for t in self.tests()))
        self.assertEqual([o.passed for o in outs], [False, True, True, True, True, True])

    def test_parent_outside_the_selection_is_ignored(self):
        self.fake({"qemu-a": True})
        outs = runner.run_tests([self.tests()[2]], pathlib.Path("/nonexistent"), 1)
        self.assertTrue(outs[0].passed)

    def test_parents_run_before(self):
        # The grader runs the unit tests, then the QEMU tests with the unit tests' outcomes.
        self.fake({t.name: t.name != "unit-a" for t in self.tests()})
        first = runner.run_tests(self.tests()[:2], pathlib.Path("/nonexistent"), 2)
        outs = runner.run_tests(self.tests()[2:], pathlib.Path("/nonexistent"), 2, prior=first)
        self.assertEqual([o.test.name for o in outs], ["qemu-a", "qemu-b", "qemu-ab", "free"])
        self.assertEqual([o.status for o in outs], ["parent failed", "pass", "parent failed", "pass"])

    def test_stages(self):
        from grader import grade
        T = manifest.Test
        tests = self.tests() + [T("unit-late", "unit", 1, 10, case="l", depends=["qemu-b"])]
        first, later = grade._stages(tests)
        self.assertEqual([t.name for t in first], ["unit-a", "unit-b"])
        self.assertEqual([t.name for t in later], ["qemu-a", "qemu-b", "qemu-ab", "free", "unit-late"])


class Stopping(unittest.TestCase):
    def tearDown(self):
        proc._stopped = False

    def test_no_run_starts_after_kill_all(self):
        # Ctrl-C: a thread about to start a QEMU must not start it once kill_all() has run.
        proc.kill_all()
        with self.assertRaises(proc.Stopped):
            proc.run([sys.executable, "-c", "pass"], 10)
        self.assertFalse(proc._live)


class RunOne(unittest.TestCase):
    def test_missing_unit_binary(self):
        lab = manifest.Lab(0, "lab0-setup", "x", pathlib.Path("."), [], [])
        t = manifest.Test("unit-x", "unit", 1, 10, lab=lab, case="x")
        o = runner.run_one(t, pathlib.Path("/nonexistent"))
        self.assertFalse(o.passed)
        self.assertIn("not built", o.reason)

    def test_internal_error_is_a_failed_test(self):
        t = manifest.Test("q", "qemu", 1, 10, program="bad,arg")  # ',' cannot be passed to QEMU
        o = runner.run_one(t, pathlib.Path("/nonexistent"))
        self.assertFalse(o.passed)
        self.assertIn("internal error", o.reason)

    def test_outcome_status_default(self):
        t = qemu_test()
        self.assertEqual(runner.Outcome(t, True, "ok").status, "pass")
        self.assertEqual(runner.Outcome(t, False, "no").status, "fail")
        self.assertEqual(runner.Outcome(t, False, "no", status="timeout").status, "timeout")

class Prepare(unittest.TestCase):
    """Test.needs: `make <target>` in the tree, once per target, before the tests that need it."""

    def setUp(self):
        import tempfile
        self._tmp = tempfile.TemporaryDirectory(prefix="mvtest-prepare-")
        self.kit = pathlib.Path(self._tmp.name)

    def tearDown(self):
        self._tmp.cleanup()

    def write_makefile(self, recipe):
        (self.kit / "Makefile").write_text(f"linux:\n\t{recipe}\n")

    def test_target_runs_in_the_tree(self):
        self.write_makefile("@echo built > made")
        ok, _ = runner.prepare(self.kit, "linux", timeout=30)
        self.assertTrue(ok)
        self.assertEqual((self.kit / "made").read_text(), "built\n")

    def test_failure_names_the_target_for_each_test_that_needs_it(self):
        from grader import grade
        self.write_makefile("@echo 'fetch.py: cannot reach deb.debian.org'; echo x >> count; exit 1")
        linux = [qemu_test("a", needs="linux"), qemu_test("b", needs="linux")]
        plain = qemu_test("c")
        failed = grade._prepare(self.kit, linux + [plain], quiet=True)
        self.assertEqual(set(failed), {"a", "b"})
        for why, log in failed.values():
            self.assertEqual(why, "make linux failed: fetch.py: cannot reach deb.debian.org")
            self.assertIn("Error 1", log, "the target's output is kept for the log")
        self.assertEqual((self.kit / "count").read_text(), "x\n", "the target is made once")

    def test_reason_skips_make_noise_but_not_make_errors(self):
        from grader import grade
        (self.kit / "Makefile").write_text("linux:\n\t@$(MAKE) --no-print-directory -C sub\n")
        (self.kit / "sub").mkdir()
        (self.kit / "sub" / "Makefile").write_text("all:\n\t@echo 'no network' >&2; exit 3\n")
        why, _ = grade._prepare(self.kit, [qemu_test("a", needs="linux")], quiet=True)["a"]
        self.assertEqual(why, "make linux failed: no network")
        (self.kit / "Makefile").write_text("other:\n\ttrue\n")
        why, _ = grade._prepare(self.kit, [qemu_test("a", needs="linux")], quiet=True)["a"]
        self.assertIn("No rule to make target", why)

    def test_timeout_is_the_reason(self):
        from grader import grade
        self.write_makefile("@echo FETCH linux-image; sleep 30")
        orig = runner.prepare
        runner.prepare = lambda kit, target, **kw: orig(kit, target, timeout=1, **kw)
        try:
            why, _ = grade._prepare(self.kit, [qemu_test("a", needs="linux")], quiet=True)["a"]
        finally:
            runner.prepare = orig
        self.assertEqual(why, "make linux failed: make linux stopped after 1 s")

    def test_nothing_is_made_for_a_test_whose_parent_failed(self):
        from grader import grade
        self.write_makefile("@echo made > made")
        parent = runner.Outcome(qemu_test("p"), False, "guest reports: no")
        child = qemu_test("linux-boot", needs="linux", depends=["p"])
        out = grade._run_needy([child], [parent], self.kit, 1, True, None, 1.0, True)
        self.assertEqual([(o.test.name, o.status, o.reason) for o in out],
                         [("linux-boot", "parent failed", "parent test p failed")])
        self.assertFalse((self.kit / "made").exists(), "no download for a test that cannot run")

    def test_a_failed_target_is_an_error_outcome_with_its_log(self):
        from grader import grade
        self.write_makefile("@echo 'fetch.py: offline'; exit 1")
        parent = runner.Outcome(qemu_test("p"), True, "ok")
        child = qemu_test("linux-boot", needs="linux", depends=["p"])
        (o,) = grade._run_needy([child], [parent], self.kit, 1, True, None, 1.0, True)
        self.assertEqual((o.status, o.reason), ("error", "make linux failed: fetch.py: offline"))
        self.assertIn("fetch.py: offline", o.output)

    def test_success_leaves_every_test_runnable(self):
        from grader import grade
        self.write_makefile("@true")
        self.assertEqual(grade._prepare(self.kit, [qemu_test("a", needs="linux")], quiet=True), {})

    def test_a_hanging_target_is_stopped(self):
        self.write_makefile("@sleep 30")
        start = time.monotonic()
        ok, log = runner.prepare(self.kit, "linux", timeout=1)
        self.assertFalse(ok)
        self.assertIn("stopped after 1 s", log)
        self.assertLess(time.monotonic() - start, 10)


if __name__ == "__main__":
    unittest.main()
