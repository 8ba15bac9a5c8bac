"""Tests of grader/report.py: Gradescope results.json, JUnit XML and the terminal table."""
import io
import json
import pathlib
import tempfile
import unittest
import xml.etree.ElementTree as ET

from grader import manifest, report, runner


def outcomes():
    lab0 = manifest.Lab(0, "lab0-setup", "Setup", pathlib.Path("."), [], [])
    lab1 = manifest.Lab(1, "lab1-traps", "Traps", pathlib.Path("."), [], [])
    T = manifest.Test
    tests = [T("unit-a", "unit", 2, 10, lab=lab0, case="a"),
             T("qemu-a", "qemu", 4, 30, lab=lab0, program="a", depends=["unit-a"]),
             T("slow", "unit", 1, 10, lab=lab0, case="slow"),
             T("broken", "qemu", 3, 30, lab=lab1, program="b"),
             T("secret", "qemu", 5, 30, lab=lab1, program="s", hidden=True),
             T("ungraded", "qemu", 0, 30, lab=lab1, program="u", graded=False)]
    O = runner.Outcome
    return [O(tests[0], True, "ok", "Checks: 4, Failures: 0", 0.25),
            O(tests[1], False, "parent test unit-a failed", status="parent failed"),
            O(tests[2], False, "timed out after 3 s", "Test timeout expired", 3.0, "timeout"),
            O(tests[3], False, "build failed: x.c:1: error: expected ';'", "x.c:1: error", 0, "build failed"),
            O(tests[4], True, "ok", "MVTEST s PASS 01234567", 1.5),
            O(tests[5], False, "guest reports: nope", "MVTEST u FAIL nope", 1.0)]


class Gradescope(unittest.TestCase):
    def test_shape(self):
        d = report.gradescope(outcomes(), 12.345, ["note one", "note two"])
        self.assertEqual(d["score"], 7)
        self.assertEqual(d["execution_time"], 12.35)
        self.assertIn("note one", d["output"])
        self.assertIn("note two", d["output"])
        self.assertEqual(len(d["tests"]), 6)
        for t in d["tests"]:
            self.assertEqual(set(t), {"name", "score", "max_score", "status", "output", "visibility"})
            self.assertIn(t["status"], {"passed", "failed"})
            self.assertIn(t["visibility"], {"visible", "after_published"})
            self.assertIsInstance(t["score"], (int, float))
            self.assertIsInstance(t["max_score"], (int, float))
            self.assertIsInstance(t["output"], str)
            self.assertLessEqual(t["score"], t["max_score"])
        by = {t["name"]: t for t in d["tests"]}
        self.assertEqual(list(by), ["lab0/unit-a", "lab0/qemu-a", "lab0/slow", "lab1/broken",
                                    "lab1/secret", "lab1/ungraded"])
        self.assertEqual((by["lab0/unit-a"]["score"], by["lab0/unit-a"]["status"]), (2, "passed"))
        self.assertEqual((by["lab0/qemu-a"]["score"], by["lab0/qemu-a"]["max_score"]), (0, 4))
        self.assertEqual(by["lab0/qemu-a"]["status"], "failed")
        self.assertIn("parent test unit-a failed", by["lab0/qemu-a"]["output"])
        self.assertIn("timed out", by["lab0/slow"]["output"])
        self.assertIn("Test timeout expired", by["lab0/slow"]["output"], "failed tests show their output")
        self.assertEqual(by["lab1/secret"]["visibility"], "after_published")
        self.assertEqual(by["lab1/secret"]["score"], 5)
        self.assertEqual(by["lab1/broken"]["visibility"], "visible")
        self.assertEqual(d["score"], sum(t["score"] for t in d["tests"]))

    def test_error(self):
        d = report.gradescope([], 0.5, ["graded: x"], error="no lab 99; labs are 0")
        self.assertEqual(d["score"], 0)
        self.assertEqual(d["tests"], [])
        self.assertIn("no lab 99", d["output"])
        self.assertIn("graded: x", d["output"])

    def test_long_output_is_clipped(self):
        outs = outcomes()
        outs[5].output = "x" * 100000 + "THE END"
        d = report.gradescope(outs, 1)
        out = d["tests"][5]["output"]
        self.assertLess(len(out), report.OUTPUT_LIMIT + 500)
        self.assertTrue(out.endswith("THE END"), "the end of the output is what matters")
        # The one-line reason must survive the clipping: it is what the student reads first.
        self.assertTrue(out.startswith("guest reports: nope"), f"the reason was clipped away: {out[:60]!r}...")

    def test_phase_times_are_extra_data(self):
        phases = {"build": 2.345, "unit tests": 0.5, "QEMU tests": 3.0}
        d = report.gradescope(outcomes(), 6.0, phases=phases)
        self.assertEqual(d["extra_data"], {"phase_seconds": {"build": 2.35, "unit tests": 0.5, "QEMU tests": 3.0}})
        self.assertEqual(json.loads(json.dumps(d)), d)
        self.assertNotIn("extra_data", report.gradescope(outcomes(), 6.0), "no phases, no extra_data")

    def test_write_json(self):
        with tempfile.TemporaryDirectory() as tmp:
            p = pathlib.Path(tmp) / "results.json"
            outs = outcomes()
            outs[3].output = "control \x00\x1b[31m characters and unicode \u2018quotes\u2019"
            report.write_json(p, outs, 3.0, ["a note"], None)
            d = json.loads(p.read_text())
            self.assertEqual(d, json.loads(json.dumps(report.gradescope(outs, 3.0, ["a note"]))))
            self.assertEqual(d["score"], 7)


class JUnit(unittest.TestCase):
    def parse(self, outs, seconds=5.0, error=None):
        with tempfile.TemporaryDirectory() as tmp:
            p = pathlib.Path(tmp) / "r.xml"
            report.write_junit(p, outs, seconds, error)
            return ET.parse(p).getroot()

    def test_structure(self):
        root = self.parse(outcomes())
        self.assertEqual(root.tag, "testsuites")
        suites = root.findall("testsuite")
        self.assertEqual([s.get("name") for s in suites], ["lab0", "lab1"])
        lab0, lab1 = suites
        self.assertEqual([c.get("name") for c in lab0.findall("testcase")], ["unit-a", "qemu-a", "slow"])
        self.assertEqual((lab0.get("tests"), lab0.get("failures"), lab0.get("errors")), ("3", "1", "1"))
        self.assertEqual((lab1.get("tests"), lab1.get("failures"), lab1.get("errors")), ("3", "1", "1"))
        cases = {c.get("name"): c for c in root.iter("testcase")}
        self.assertIsNone(cases["unit-a"].find("failure"))
        self.assertIsNone(cases["unit-a"].find("error"))
        self.assertIsNotNone(cases["qemu-a"].find("failure"), "parent failed is a failure")
        self.assertIn("parent test", cases["qemu-a"].find("failure").get("message"))
        self.assertIsNotNone(cases["slow"].find("error"), "a timeout is an error")
        self.assertIsNone(cases["slow"].find("failure"))
        self.assertIn("Test timeout expired", cases["slow"].find("error").text)
        self.assertIsNotNone(cases["broken"].find("error"), "a build failure is an error")
        self.assertIsNotNone(cases["ungraded"].find("failure"))
        self.assertIsNone(cases["secret"].find("failure"))
        self.assertEqual(cases["slow"].get("time"), "3.00")
        self.assertEqual(cases["unit-a"].get("classname"), "lab0")
        self.assertEqual(float(root.get("time")), 5.0)

    def test_grader_error(self):
        root = self.parse([], 0.1, error="no lab 99")
        suites = root.findall("testsuite")
        self.assertEqual(len(suites), 1)
        self.assertEqual((suites[0].get("tests"), suites[0].get("errors")), ("1", "1"))
        self.assertIn("no lab 99", suites[0].find("testcase/error").get("message"))

    def test_control_characters_in_output(self):
        # A VMM's console can print anything: colour escapes, NUL bytes, garbage.
        outs = outcomes()
        outs[5].output = "\x1b[31mred\x1b[0m nul:\x00 bell:\x07 ok"
        outs[5].reason = "guest reports: \x1b[1mbold\x1b[0m"
        root = self.parse(outs)
        failure = [c for c in root.iter("testcase") if c.get("name") == "ungraded"][0].find("failure")
        self.assertIn("red", failure.text)
        self.assertIn("ok", failure.text)
        self.assertIn("bold", failure.get("message"))


class Table(unittest.TestCase):
    def test_plain(self):
        s = io.StringIO()
        report.table(outcomes(), ["graded: the skeleton"], stream=s, colour=False)
        text = s.getvalue()
        self.assertNotIn("\033", text)
        lines = text.splitlines()
        self.assertTrue(lines[0].split()[:6] == ["lab", "test", "status", "points", "time", "reason"])
        for name in ("unit-a", "qemu-a", "slow", "broken", "secret", "ungraded"):
            self.assertIn(name, text)
        self.assertTrue(any("unit-a" in l and "2/2" in l for l in lines))
        self.assertTrue(any("qemu-a" in l and "0/4" in l and "parent failed" in l for l in lines))
        self.assertTrue(any("slow" in l and "timeout" in l and "timed out after 3 s" in l for l in lines))
        self.assertTrue(any(l.split()[1] == "ungraded" and "ungraded" in l.split()[3:] for l in lines[1:]))
        self.assertIn("graded: the skeleton", text)
        self.assertEqual(lines[-1], "score: 7/15")

    def test_phase_times_after_the_score(self):
        s = io.StringIO()
        report.table(outcomes(), stream=s, colour=False,
                     phases={"build": 2.345, "unit tests": 0.04, "QEMU tests": 12.0})
        lines = s.getvalue().splitlines()
        self.assertEqual(lines[-2], "score: 7/15")
        self.assertEqual(lines[-1], "time: build 2.3 s, unit tests 0.0 s, QEMU tests 12.0 s")

    def test_colour(self):
        s = io.StringIO()
        report.table(outcomes(), stream=s, colour=True)
        self.assertIn("\033[", s.getvalue())
        self.assertTrue(s.getvalue().rstrip().endswith("score: 7/15"))

    def test_not_a_tty_means_no_colour(self):
        s = io.StringIO()
        report.table(outcomes(), stream=s)
        self.assertNotIn("\033", s.getvalue())

    def test_empty(self):
        s = io.StringIO()
        report.table([], stream=s, colour=False)
        self.assertEqual(s.getvalue().splitlines()[-1], "score: 0/0")

    def test_score(self):
        self.assertEqual(report.score(outcomes()), (7, 15))

    def test_failure_details_show_each_log_once(self):
        outs = outcomes()
        log = "line\n" * 40 + "make: *** Error 1"
        for o in outs[1:3]:
            o.output = log
        s = io.StringIO()
        report.failure_details(outs, stream=s, lines=5)
        text = s.getvalue()
        self.assertEqual(text.count("make: *** Error 1"), 1)
        self.assertIn("(output above)", text)
        self.assertNotIn("--- unit-a", text, "passed tests are not shown")


if __name__ == "__main__":
    unittest.main()


class Untrusted(unittest.TestCase):
    """A test's output and reason come from student code: on the terminal they cannot
    draw over the report (control characters escaped) nor flood it (lines clipped)."""

    def test_printable(self):
        self.assertEqual(report.printable("a\rscore: 10/10\x1b[2K"), "a\\x0dscore: 10/10\\x1b[2K")
        self.assertEqual(report.printable("x\ny"), "x\\ny")
        self.assertTrue(report.printable("z" * 100000).endswith(" [...]"))
        self.assertLessEqual(len(report.printable("z" * 100000)), report.LINE_LIMIT + 6)

    def test_failure_details_and_table(self):
        import io
        from grader import runner
        from unittest import mock
        t = mock.Mock(graded=True, points=1, lab=None)
        t.name = "t1"
        forged = "FAIL\rscore: 99/99"
        o = runner.Outcome(t, False, forged + "\nscore: 99/99", "ok line\r\n" + "y" * 50000 + "\n" + forged)
        out = io.StringIO()
        report.failure_details([o], stream=out)
        report.table([o], stream=out, colour=False)
        text = out.getvalue()
        self.assertNotIn("\r", text)
        self.assertFalse(any(l.startswith("score: 99") for l in text.splitlines()))
        self.assertLess(max(len(l) for l in text.splitlines()), report.LINE_LIMIT + 40)
        self.assertIn("    ok line\n", text)


class SavedLogs(unittest.TestCase):
    """save_logs keeps a failed test's output, and its network capture from the (temporary)
    tree; a test that passes now loses the old log."""

    def test_log_and_pcap_kept(self):
        lab5 = manifest.Lab(5, "lab5-pci", "PCI", pathlib.Path("."), [], [])
        T, O = manifest.Test, runner.Outcome
        net = T("net", "qemu", 1, 30, lab=lab5, program="n", net="user")
        fine = T("fine", "qemu", 1, 30, lab=lab5, program="f")
        with tempfile.TemporaryDirectory() as d:
            tree, logs = pathlib.Path(d, "tree"), pathlib.Path(d, "logs")
            tree.mkdir()
            (tree / "cap.pcap").write_bytes(b"pcap bytes")
            logs.mkdir()
            (logs / "lab5-fine.log").write_text("an old failure")
            failed = O(net, False, "output lacks 'x'", "the output", 1.0)
            failed.pcap = str(tree / "cap.pcap")
            saved = report.save_logs([failed, O(fine, True, "ok", "MVTEST f PASS 0", 1.0)], logs)
            self.assertEqual(saved, {"net": logs / "lab5-net.log"})
            self.assertIn("output lacks 'x'", (logs / "lab5-net.log").read_text())
            self.assertEqual((logs / "lab5-net.pcap").read_bytes(), b"pcap bytes")
            self.assertFalse((logs / "lab5-fine.log").exists())
