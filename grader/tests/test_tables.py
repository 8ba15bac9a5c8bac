"""Tests of grader/tables.py: the handouts' grading tables made from lab.toml; --check and
--update; hidden tests never shown; the real repository's handouts agree with their manifests."""
import contextlib
import io
import pathlib
import subprocess
import sys
import tempfile
import textwrap
import unittest

from grader import manifest, tables

LAB = """
[lab]
number = 3
arch = "arm"
title = "MMIO"
student_files = ["minivmm/dev/pl011.c"]

[[tests]]
name = "unit-a"
kind = "unit"
case = "a"
what = "the ``a`` function on every width."
points = 2
timeout = 10

[[tests]]
name = "qemu-a"
kind = "qemu"
program = "lab3-a"
what = '''
the guest reads
its device'''
vmm_opts = "dcache=off"
stdin = "hi!\\n"
expect = ["decode cache off", "minivmm: done"]
points = 3
depends = ["unit-a"]

[[tests]]
name = "qemu-big"
kind = "qemu"
guest = "build/linux/zImage"
what = "Linux boots."
vmm_opts = "mem=128 initrd=x.cpio"
needs = "linux"
stdin = "x"
stdin_after = "login:"
proof = false
expect_exit = 3
graded = false
timeout = 240
depends = ["qemu-a"]
"""

HIDDEN = """
[[tests]]
name = "secret-test"
kind = "unit"
case = "secret_case"
what = "the hidden corner."
points = 7
depends = ["unit-a"]
"""

HANDOUT = """\
====
Lab3
====

:Tests and points: 9 tests, 99 points (see `Grading`_)

Grading
=======

Intro text stays.

.. grading-table: begin

old table, replaced

.. grading-table: end

After the table, text stays.
"""


class TempLab(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="mvtest-tables-")
        self.root = pathlib.Path(self._tmp.name)
        self.lab = self.root / "labs" / "lab3-mmio"
        self.lab.mkdir(parents=True)
        (self.lab / "lab.toml").write_text(LAB)
        (self.lab / "README.rst").write_text(HANDOUT)

    def tearDown(self):
        self._tmp.cleanup()

    def main(self, *argv):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = tables.main([*argv, "--root", str(self.root)])
        return status, out.getvalue(), err.getvalue()

    def readme(self):
        return (self.lab / "README.rst").read_text()


class Render(TempLab):
    def test_update_then_check(self):
        status, out, _ = self.main("--check")
        self.assertEqual(status, 1, "the old table disagrees")
        self.assertIn("-old table, replaced", out, "a unified diff")
        self.assertIn("+   * - ``unit-a``", out)
        self.assertEqual(self.main("--update")[0], 0)
        text = self.readme()
        self.assertNotIn("old table", text)
        for kept in ("Intro text stays.", "After the table, text stays.", "====\nLab3\n===="):
            self.assertIn(kept, text)
        status, out, _ = self.main("--check")
        self.assertEqual((status, out.strip()), (0, "tables: every grading table matches its lab.toml"))
        self.assertEqual(self.main("--update")[1].strip(),
                         "tables: every grading table already matches its lab.toml")

    def test_table_contents(self):
        self.main("--update")
        text = self.readme()
        body = text[text.index(tables.BEGIN):text.index(tables.END)]
        self.assertIn(".. list-table::\n   :header-rows: 1\n", body)
        self.assertIn("   * - ``unit-a``\n     - unit\n     - 2\n     - 10 s\n     - (none)\n"
                      "     - Check test case ``a`` (on the host): the ``a`` function on every width.\n", body)
        flat = " ".join(body.split())
        self.assertIn("* - ``qemu-a`` - qemu - 3 - 30 s - ``unit-a`` - Guest program ``lab3-a`` with minivmm "
                      "option ``dcache=off``: the guest reads its device. The grader types ``hi!`` and a "
                      "newline. Expected texts: ``decode cache off`` and ``minivmm: done``.", flat)
        self.assertIn("* - ``qemu-big`` - qemu - ungraded - 240 s - ``qemu-a`` - Guest ``build/linux/zImage`` "
                      "with minivmm options ``mem=128 initrd=x.cpio``: Linux boots. The grader runs "
                      "``make linux`` first and types ``x`` once the output shows ``login:``. minivmm must "
                      "end with status 3. No ``MVTEST`` line is needed.", flat)
        self.assertIn("Total: 5 points, 2 from the unit tests and 3 from the QEMU tests. ``qemu-big`` is "
                      "ungraded", flat)
        self.assertIn(":Tests and points: 2 tests, 5 points (see `Grading`_)", text, "the summary field")
        self.assertTrue(all(len(l) <= tables.WIDTH for l in body.splitlines()[1:]), "wrapped")

    def test_manifest_change_fails_the_check_with_a_diff(self):
        self.main("--update")
        (self.lab / "lab.toml").write_text(LAB.replace("points = 3", "points = 4"))
        status, out, err = self.main("--check")
        self.assertEqual(status, 1)
        self.assertIn("-     - 3\n+     - 4\n", out)
        self.assertIn("+:Tests and points: 2 tests, 6 points", out)
        self.assertIn("1 handout(s) disagree", err)

    def test_hand_edit_of_the_table_fails_the_check(self):
        self.main("--update")
        (self.lab / "README.rst").write_text(self.readme().replace("     - 10 s", "     - 15 s"))
        status, out, _ = self.main("--check")
        self.assertEqual(status, 1)
        self.assertIn("-     - 15 s\n+     - 10 s\n", out)

    def test_hidden_tests_never_appear(self):
        (self.lab / "hidden.toml").write_text(HIDDEN)
        self.assertEqual(len(manifest.load_lab(self.lab).tests), 4, "the grader does see it")
        self.main("--update")
        text = self.readme()
        for secret in ("secret-test", "secret_case", "hidden corner", "12 points", "3 tests"):
            self.assertNotIn(secret, text)
        self.assertIn("Total: 5 points", text)
        self.assertEqual(self.main("--check")[0], 0)
        (self.lab / "hidden.toml").unlink()  # as in the student handout: the same table
        self.assertEqual(self.main("--check")[0], 0)

    def test_single_expect_and_integral_float_points(self):
        (self.lab / "lab.toml").write_text(LAB.replace('expect = ["decode cache off", "minivmm: done"]',
                                                       'expect = ["decode cache off"]')
                                           .replace("points = 2", "points = 1.5"))
        self.main("--update")
        flat = " ".join(self.readme().split())
        self.assertIn("Expected text: ``decode cache off``.", flat)
        self.assertIn("- unit - 1.5 - 10 s", flat)
        self.assertIn("Total: 4.5 points, 1.5 from the unit tests and 3 from the QEMU tests.", flat)

    def test_escaped_space_is_not_broken(self):
        cell = tables._cell("x " * 30 + "wraps at 2\\ :sup:`32` here " + "y " * 30)
        self.assertIn("2\\ :sup:`32`", "\n".join(cell))


class Errors(TempLab):
    def test_missing_what(self):
        (self.lab / "lab.toml").write_text(LAB.replace('what = "the ``a`` function on every width."\n', ""))
        status, _, err = self.main("--check")
        self.assertEqual(status, 1)
        self.assertIn("test unit-a: no 'what'", err)

    def test_missing_markers(self):
        for text in (HANDOUT.replace(".. grading-table: end\n", ""),
                     HANDOUT.replace(".. grading-table: begin\n", ""),
                     HANDOUT + "\n.. grading-table: begin\n",
                     "no table here\n"):
            with self.subTest(text=text[-40:]):
                (self.lab / "README.rst").write_text(text)
                status, _, err = self.main("--update")
                self.assertEqual(status, 1)
                self.assertIn("needs one '.. grading-table: begin' line", err)
                self.assertEqual(self.readme(), text, "nothing written")

    def test_missing_handout(self):
        (self.lab / "README.rst").unlink()
        status, _, err = self.main("--check")
        self.assertEqual(status, 1)
        self.assertIn("README.rst: missing", err)

    def test_text_that_cannot_be_a_literal(self):
        (self.lab / "lab.toml").write_text(LAB.replace('"minivmm: done"', '" padded "'))
        status, _, err = self.main("--check")
        self.assertEqual(status, 1)
        self.assertIn("cannot be shown as a literal", err)

    def test_bad_manifest(self):
        (self.lab / "lab.toml").write_text(LAB.replace('what = "Linux boots."', 'what = ""'))
        status, _, err = self.main("--check")
        self.assertEqual(status, 1)
        self.assertIn("'what' is empty", err)

    def test_needs_a_mode(self):
        with contextlib.redirect_stderr(io.StringIO()), self.assertRaises(SystemExit) as cm:
            tables.main([])
        self.assertEqual(cm.exception.code, 2)


@unittest.skipUnless(__import__("importlib").util.find_spec("docutils"), "docutils (python3-docutils) not installed")
class ValidRst(TempLab):
    def test_generated_table_is_valid_rst(self):
        import docutils.core
        self.main("--update")
        err = io.StringIO()
        docutils.core.publish_doctree(self.readme(), settings_overrides={
            "warning_stream": err, "report_level": 2, "halt_level": 5})
        self.assertEqual(err.getvalue(), "")


class RealRepository(unittest.TestCase):
    def test_every_handout_agrees_with_its_manifest(self):
        r = subprocess.run([sys.executable, "-m", "grader.tables", "--check"], cwd=manifest.ROOT,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr)

    def test_lab1_table_says_what_system_off_expects(self):
        text = (manifest.ROOT / "labs/lab1-traps/README.rst").read_text()
        body = " ".join(text[text.index(tables.BEGIN):text.index(tables.END)].split())
        self.assertIn("``lab1-system-off``: an SMC ``SYSTEM_OFF`` ends the VM with status 0 and does not "
                      "return to the guest. Expected text: ``minivmm: guest called PSCI SYSTEM_OFF``.", body)


if __name__ == "__main__":
    unittest.main()
