"""Tests of grader/samples.py: what the normaliser replaces, how samples match real output, the diff and --update."""
import contextlib
import io
import pathlib
import tempfile
import unittest

from grader import samples

HANDOUT = """\
Title
=====

.. sample(labs0-1): make run RUN_ARGS=run=hello
   echo second command

A real run prints::

    minivmm: guest 'build/guest/tinykernel.elf': entry 0x40010000, 64 MiB RAM at 0x40000000
    [exit 1] HVC      ec=0x12 pc=4001025c hsr=4a000000

    hello from tinykernel

Some text.

1. A list item whose sample follows (a real run)::

       make: *** [Makefile:159: run] Error 71

An illustration, not real output::

    anything

How to write one:

.. code-block:: rst

   .. sample: make run

   A real run prints::

       text
"""


class Normalise(unittest.TestCase):
    def test_what_varies_is_replaced(self):
        n = samples.normalise
        self.assertEqual(n("pc=4001025c hsr=4a000000"), n("pc=40010278 hsr=4a000000"))
        self.assertEqual(n("0x5000065c <hyp_vectors+20>"), n("0x500006b4 <hyp_vectors+24>"))
        self.assertEqual(n("make: *** [Makefile:159: run] Error 71"), "make: *** [Makefile:<line>: run] Error 71")
        self.assertEqual(n("test_lab0.c:21:E:exitcount"), n("test_lab0.c:29:E:exitcount"))
        self.assertEqual(n("Breakpoint 1 at 0x50003704: file s2fault.c, line 37."),
                         n("Breakpoint 1 at 0x50003770: file s2fault.c, line 41."))
        self.assertEqual(n("37\t    uint32_t iss;"), n("41\t    uint32_t iss;"))
        self.assertEqual(n("   17 |     return n;"), n("   11 |     return n;"))
        self.assertEqual(n("0    unit-exitcount  fail  0/2     0.03s  why"), n("0 unit-exitcount fail 0/2 12.50s why"))
        self.assertEqual(n("qemu: stopped after the 60 s timeout"), n("qemu: stopped after the 2 s timeout"))
        self.assertEqual(n("MVTEST lab0-exitcount PASS b0db2d8a"), n("MVTEST lab0-exitcount PASS 12345678"))
        self.assertEqual(n("MVTEST lab0-exitcount PASS b0db2d8afda379b9"), n("MVTEST lab0-exitcount PASS 0123456789abcdef"))
        self.assertEqual(n("run=x nonce=0badf00d"), "run=x nonce=<nonce>")
        self.assertEqual(n("grader: building lab0-setup in /tmp/mvgrade-uif0k0gu/kit"),
                         "grader: building lab0-setup in <kit>")
        self.assertEqual(n("reads /work/main/solutions/minivmm/core/exitcount.c, outside"),
                         n("reads /tmp/mvsamples-x/instructor/kit/solutions/minivmm/core/exitcount.c, outside"))
        self.assertEqual(n("error: expected \u2018,\u2019 or \u2018;\u2019"), "error: expected ',' or ';'")

    def test_what_matters_is_kept(self):
        n = samples.normalise
        # round addresses (RAM, the entry point), register values and syndromes are exact
        self.assertNotEqual(n("entry 0x40010000, RAM at 0x40000000"), n("entry 0x40020000, RAM at 0x40000000"))
        self.assertNotEqual(n("hsr=4a000000"), n("hsr=4e000000"))
        self.assertNotEqual(n("cpsr 0x600001da"), n("cpsr 0x600001d3"))
        self.assertNotEqual(n("[exit 4] HVC"), n("[exit 5] HVC"))
        self.assertNotEqual(n("minivmm: 4 exits: HVC 4"), n("minivmm: 5 exits: HVC 5"))
        self.assertNotEqual(n("build/skel/src/x.c"), n("build/sol/src/x.c"))

    def test_roots_become_kit(self):
        self.assertEqual(samples.normalise("make[1]: Entering directory '/tmp/t/kit'", roots=["/tmp/t/kit"]),
                         "make[1]: Entering directory '<kit>'")


class Compare(unittest.TestCase):
    def test_exact_and_normalised(self):
        ok, rendered = samples.compare(["a", "", "pc=4001025c"], ["a", "pc=40010278", ""])
        self.assertTrue(ok)
        self.assertEqual(rendered, ["a", "", "pc=4001025c"])  # the sample is left as it is

    def test_ellipsis_lines_and_inline(self):
        out = ["head", "x1", "x2", "middle 1", "middle 2", "y", "tail"]
        self.assertTrue(samples.compare(["head", "...", "middle 1", "middle 2", "...", "tail"], out)[0])
        self.assertTrue(samples.compare(["...", "tail"], out)[0])
        self.assertTrue(samples.compare(["head", "..."], out)[0])
        self.assertTrue(samples.compare(["head", "...", "tail"], ["head", "tail"])[0])  # ... may be no line
        self.assertTrue(samples.compare(["$ cmd -a ... -z", "..."], ["$ cmd -a -b -c -z", "out"])[0])
        self.assertFalse(samples.compare(["head", "...", "middle 2", "middle 1", "...", "tail"], out)[0])
        self.assertFalse(samples.compare(["head", "tail"], out)[0])            # no ...: the whole output
        self.assertFalse(samples.compare(["...", "middle 1"], out)[0])         # anchored at the end

    def test_build_lines_and_progress_order(self):
        out = ["  CC      build/skel/vmm/x.c", "  LD      build/skel/minivmm.elf", "hello"]
        self.assertTrue(samples.compare(["hello"], out)[0])
        self.assertFalse(samples.compare(["  CC      build/skel/vmm/x.c", "hello"], out)[0])
        self.assertTrue(samples.compare(["  [1/2] a: pass (0.03s)", "  [2/2] b: fail (0.10s)"],
                                        ["  [1/2] b: fail (0.02s)", "  [2/2] a: pass (0.01s)"])[0])

    def test_mismatch_renders_and_diffs(self):
        sample = ["minivmm: stage 2 is off", "minivmm: guest 'x': entry 0x40010000",
                  "[exit 1] HVC ec=0x12 pc=4001025c", "...", "make: *** [Makefile:159: run] Error 71"]
        out = ["minivmm: stage 2 is off", "minivmm: no devices for the guest", "minivmm: guest 'x': entry 0x40010000",
               "[exit 1] HVC ec=0x12 pc=40010278", "more", "qemu: minivmm exited with status 71",
               "make: *** [Makefile:173: run] Error 71"]
        ok, rendered = samples.compare(sample, out)
        self.assertFalse(ok)
        # the missing line is added; the sample's own lines stay where they match; the
        # Makefile's line numbers are written as <line>
        self.assertEqual(rendered, ["minivmm: stage 2 is off", "minivmm: no devices for the guest",
                                    "minivmm: guest 'x': entry 0x40010000", "[exit 1] HVC ec=0x12 pc=4001025c",
                                    "...", "make: *** [Makefile:159: run] Error 71"])
        self.assertTrue(samples.compare(rendered, out)[0])
        text = samples.diff(sample, rendered, "x.rst:3")
        self.assertIn("--- x.rst:3 (the sample)", text)
        self.assertIn("+minivmm: no devices for the guest", text)
        self.assertNotIn("-[exit 1]", text)

    def test_fresh_writes_the_real_lines(self):
        ok, rendered = samples.compare(["pc=4001025c", "make: *** [Makefile:1: run] Error 1"],
                                       ["pc=40010278", "make: *** [Makefile:173: run] Error 1"], fresh=True)
        self.assertTrue(ok)
        self.assertEqual(rendered, ["pc=40010278", "make: *** [Makefile:<line>: run] Error 1"])


class Parse(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="mvtest-samples-")
        self.path = pathlib.Path(self._tmp.name, "README.rst")
        self.path.write_text(HANDOUT)

    def tearDown(self):
        self._tmp.cleanup()

    def test_markers_blocks_and_problems(self):
        found, problems = samples.parse(self.path)
        self.assertEqual(len(found), 1)
        s = found[0]
        self.assertEqual((s.line, s.setup), (4, "labs0-1"))
        self.assertEqual(s.commands, ["make run RUN_ARGS=run=hello", "echo second command"])
        self.assertEqual(s.lines[0],
                         "minivmm: guest 'build/guest/tinykernel.elf': entry 0x40010000, 64 MiB RAM at 0x40000000")
        self.assertEqual(s.lines[-1], "hello from tinykernel")
        self.assertEqual(s.indent, "    ")
        # the list item's block claims to be real and has no marker; the illustration is fine
        self.assertEqual(len(problems), 1)
        self.assertIn(":16:", problems[0])

    def test_setups(self):
        self.assertEqual(samples.setup_named("labs0-2").done, (0, 1, 2))
        self.assertEqual(samples.setup_named("labs3").done, (3,))
        self.assertTrue(samples.setup_named(None).student)
        self.assertFalse(samples.setup_named("instructor").student)
        with self.assertRaises(ValueError):
            samples.setup_named("nosuch")

    def test_update_rewrites_only_the_block(self):
        s = samples.parse(self.path)[0][0]
        new = ["minivmm: no devices for the guest"] + s.lines
        samples.update([samples.Result(s, False, rendered=new)])
        text = self.path.read_text()
        self.assertIn("A real run prints::\n\n    minivmm: no devices for the guest\n    minivmm: guest", text)
        self.assertIn("\n    hello from tinykernel\n\nSome text.", text)
        self.assertEqual(samples.parse(self.path)[0][0].lines, new)

    def test_update_leaves_a_block_edited_meanwhile(self):
        s = samples.parse(self.path)[0][0]
        self.path.write_text(HANDOUT.replace("hello from tinykernel", "edited by someone else"))
        with contextlib.redirect_stderr(io.StringIO()) as err:
            self.assertEqual(samples.update([samples.Result(s, False, rendered=["x"])]), [])
        self.assertIn("the block changed since it was read", err.getvalue())
        self.assertIn("edited by someone else", self.path.read_text())


if __name__ == "__main__":
    unittest.main()
