"""Tests of grader/manifest.py: lab.toml parsing, validation errors, hidden tests, lab ids and
architectures across tracks, the real repository."""
import pathlib
import tempfile
import textwrap
import unittest

from grader import manifest
from grader.manifest import ManifestError

LAB_HEAD = """
[lab]
number = 3
arch = "arm"
title = "MMIO"
student_files = ["minivmm/dev/pl011.c"]
"""

UNIT = """
[[tests]]
name = "unit-a"
kind = "unit"
case = "a"
points = 2
timeout = 10
"""

QEMU = """
[[tests]]
name = "qemu-a"
kind = "qemu"
program = "lab3-a"
points = 3
depends = ["unit-a"]
"""


class TempLabs(unittest.TestCase):
    """Each test gets a temporary kit root with a labs/ folder."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="mvtest-manifest-")
        self.root = pathlib.Path(self._tmp.name)
        (self.root / "labs").mkdir()

    def tearDown(self):
        self._tmp.cleanup()

    def write_lab(self, folder, text, hidden=None):
        d = self.root / "labs" / folder
        d.mkdir(parents=True, exist_ok=True)
        (d / "lab.toml").write_text(textwrap.dedent(text))
        if hidden is not None:
            (d / "hidden.toml").write_text(textwrap.dedent(hidden))
        return d

    def assertManifestError(self, text, *fragments, folder="lab3-mmio", hidden=None):
        d = self.write_lab(folder, text, hidden)
        with self.assertRaises(ManifestError) as cm:
            manifest.load_lab(d)
        msg = str(cm.exception)
        self.assertIn("lab.toml", msg, "the message names the file")
        for f in fragments:
            self.assertIn(f, msg)
        return msg


class ValidManifest(TempLabs):
    def test_valid_lab(self):
        d = self.write_lab("lab3-mmio", LAB_HEAD + UNIT + QEMU)
        lab = manifest.load_lab(d)
        self.assertEqual(lab.number, 3)
        self.assertEqual((lab.id, lab.arch), ("3", "arm"))
        self.assertEqual(lab.name, "lab3-mmio")
        self.assertEqual(lab.title, "MMIO")
        self.assertEqual(lab.path, d)
        self.assertEqual(lab.student_files, ["minivmm/dev/pl011.c"])
        self.assertEqual([t.name for t in lab.tests], ["unit-a", "qemu-a"])
        self.assertEqual(lab.points, 5)
        unit, qemu = lab.tests
        self.assertEqual((unit.kind, unit.case, unit.points, unit.timeout), ("unit", "a", 2, 10))
        self.assertEqual((qemu.kind, qemu.program, qemu.depends), ("qemu", "lab3-a", ["unit-a"]))
        self.assertEqual(qemu.timeout, 30, "default timeout")
        self.assertTrue(qemu.proof, "proof is required by default")
        self.assertEqual(qemu.expect_exit, 0)
        for t in lab.tests:
            self.assertIs(t.lab, lab)
            self.assertFalse(t.hidden)
            self.assertTrue(t.graded)

    def test_load_tests_defaults(self):
        p = self.root / "integration.toml"
        p.write_text(textwrap.dedent("""
            [[tests]]
            name = "boot"
            kind = "qemu"
            program = "demo"
            proof = false
            expect = ["hello"]
            """))
        data, tests = manifest.load_tests(p, default_graded=False)
        self.assertIn("tests", data)
        self.assertEqual(len(tests), 1)
        t = tests[0]
        self.assertFalse(t.graded)
        self.assertFalse(t.proof)
        self.assertEqual(t.expect, ["hello"])
        self.assertEqual(t.points, 0)

    def test_qemu_with_guest_and_no_proof(self):
        d = self.write_lab("lab3-mmio", LAB_HEAD + """
            [[tests]]
            name = "linux"
            kind = "qemu"
            guest = "build/linux.elf"
            proof = false
            points = 1
            """)
        lab = manifest.load_lab(d)
        self.assertEqual(lab.tests[0].guest, "build/linux.elf")

    def test_needs_a_known_make_target(self):
        d = self.write_lab("lab3-mmio", LAB_HEAD + """
            [[tests]]
            name = "linux"
            kind = "qemu"
            guest = "build/linux/zImage"
            needs = "linux"
            proof = false
            graded = false
            """)
        t = manifest.load_lab(d).tests[0]
        self.assertEqual((t.needs, t.graded, t.points), ("linux", False, 0))
        for target in ("clean", "linux clean", ""):
            with self.subTest(target=target):
                text = LAB_HEAD + UNIT + QEMU + f'needs = "{target}"\n'
                if target:
                    self.assertManifestError(text, "needs", "is not one of linux")
                else:  # empty: needs nothing
                    self.assertEqual(manifest.load_lab(self.write_lab("lab3-mmio", text)).tests[-1].needs, "")

    def test_timeout_edges(self):
        for value in ("0.5", "600"):
            with self.subTest(timeout=value):
                d = self.write_lab("lab3-mmio", LAB_HEAD + UNIT.replace("timeout = 10", f"timeout = {value}"))
                self.assertEqual(manifest.load_lab(d).tests[0].timeout, float(value))

    def test_hidden_tests_are_marked_hidden(self):
        d = self.write_lab("lab3-mmio", LAB_HEAD + UNIT, hidden="""
            [[tests]]
            name = "hidden-a"
            kind = "unit"
            case = "hidden_a"
            points = 4
            """)
        lab = manifest.load_lab(d)
        self.assertEqual([t.name for t in lab.tests], ["unit-a", "hidden-a"])
        self.assertFalse(lab.tests[0].hidden)
        self.assertTrue(lab.tests[1].hidden)
        self.assertTrue(lab.tests[1].graded)
        self.assertIs(lab.tests[1].lab, lab)
        self.assertEqual(lab.points, 6)

    def test_hidden_test_may_depend_on_a_visible_test(self):
        # A hidden QEMU test naturally depends on the lab's visible unit test.
        d = self.write_lab("lab3-mmio", LAB_HEAD + UNIT, hidden="""
            [[tests]]
            name = "hidden-qemu"
            kind = "qemu"
            program = "lab3-hidden"
            points = 4
            depends = ["unit-a"]
            """)
        lab = manifest.load_lab(d)
        self.assertEqual([t.name for t in lab.tests], ["unit-a", "hidden-qemu"])
        self.assertTrue(lab.tests[1].hidden)

    def test_hidden_duplicate_of_visible_name(self):
        msg = self.assertManifestError(LAB_HEAD + UNIT, "duplicate", "unit-a", hidden=UNIT)
        self.assertIn("lab3-mmio", msg)


class InvalidManifest(TempLabs):
    def test_missing_lab_table(self):
        self.assertManifestError(UNIT, "missing 'lab'")

    def test_missing_lab_fields(self):
        for field in ("number", "arch", "title", "student_files"):
            with self.subTest(field=field):
                head = "\n".join(l for l in LAB_HEAD.splitlines() if not l.startswith(field))
                self.assertManifestError(head + UNIT, f"missing '{field}'")

    def test_lab_field_types(self):
        self.assertManifestError(LAB_HEAD.replace("number = 3", 'number = "3"') + UNIT, "'number' must be int")
        self.assertManifestError(LAB_HEAD.replace("number = 3", "number = true") + UNIT, "'number'")
        self.assertManifestError(LAB_HEAD.replace("number = 3", "number = -3") + UNIT, "'number' must be >= 0")
        self.assertManifestError(LAB_HEAD.replace('arch = "arm"', "arch = 1") + UNIT, "'arch' must be str")

    def test_unknown_arch(self):
        for arch in ("mips", "ARM", "x86_64", ""):
            with self.subTest(arch=arch):
                self.assertManifestError(LAB_HEAD.replace('"arm"', f'"{arch}"') + UNIT,
                                         f"arch '{arch}' is not one of arm, x86")

    def test_unknown_lab_field(self):
        self.assertManifestError(LAB_HEAD.replace('arch = "arm"', 'arch = "arm"\narc = "x86"') + UNIT,
                                 "unknown field", "arc", "[lab]")

    def test_number_and_id_together(self):
        self.assertManifestError(LAB_HEAD.replace("number = 3", 'number = 3\nid = "3"') + UNIT,
                                 "'number' or its 'id', not both")

    def test_bad_ids(self):
        for bad in ("x", "X1", "x01", "1x", "x-1", "", "x 1", "03"):
            with self.subTest(id=bad):
                self.assertManifestError(LAB_HEAD.replace("number = 3", f'id = "{bad}"') + UNIT,
                                         f"'id' {bad!r} must be", folder=f"lab{bad}-io")
        self.assertManifestError(LAB_HEAD.replace("number = 3", "id = 3") + UNIT, "'id' must be str")

    def test_folder_does_not_match_number(self):
        self.assertManifestError(LAB_HEAD + UNIT, "lab4-mmio", "does not match lab number 3", folder="lab4-mmio")
        # lab3 must not be confused with lab30
        self.assertManifestError(LAB_HEAD + UNIT, "does not match", folder="lab30-mmio")

    def test_unknown_test_field(self):
        self.assertManifestError(LAB_HEAD + UNIT.replace('case = "a"', 'case = "a"\npionts = 3'),
                                 "unknown field", "pionts", "test 1")

    def test_lab_is_not_a_test_field(self):
        self.assertManifestError(LAB_HEAD + UNIT.replace('case = "a"', 'case = "a"\nlab = 1'),
                                 "unknown field", "lab")

    def test_bad_kind(self):
        self.assertManifestError(LAB_HEAD + UNIT.replace('kind = "unit"', 'kind = "shell"'),
                                 "kind 'shell'", "unit", "qemu")

    def test_missing_name_or_kind(self):
        self.assertManifestError(LAB_HEAD + UNIT.replace('name = "unit-a"', ""), "missing 'name'")
        self.assertManifestError(LAB_HEAD + UNIT.replace('kind = "unit"', ""), "missing 'kind'")

    def test_unit_without_case(self):
        self.assertManifestError(LAB_HEAD + UNIT.replace('case = "a"', ""), "needs 'case'")

    def test_qemu_without_program_or_guest(self):
        self.assertManifestError(LAB_HEAD + UNIT + QEMU.replace('program = "lab3-a"', ""),
                                 "needs 'program' or 'guest'", "test 2")

    def test_proof_needs_program(self):
        self.assertManifestError(LAB_HEAD + UNIT + QEMU.replace('program = "lab3-a"', 'guest = "x.elf"'),
                                 "proof")

    def test_negative_points(self):
        self.assertManifestError(LAB_HEAD + UNIT.replace("points = 2", "points = -1"), "points", "non-negative")

    def test_bad_timeout(self):
        for value in ("0", "-5", "601", "1000", "nan", '"10"'):
            with self.subTest(timeout=value):
                self.assertManifestError(LAB_HEAD + UNIT.replace("timeout = 10", f"timeout = {value}"),
                                         "timeout must be in (0, 600]")

    def test_optional_field_types(self):
        # A string where a list belongs would be iterated character by character
        # (expect = "ok" would pass on any output holding an 'o' and a 'k'), and
        # points = true would count as 1 point.
        cases = {
            'expect = "hello"': "expect",
            'depends = "unit-a"': "depends",
            "points = true": "points",
            "proof = 1": "proof",
            'expect_exit = "0"': "expect_exit",
            "vmm_opts = 3": "vmm_opts",
        }
        for line, field in cases.items():
            with self.subTest(line=line):
                qemu = "\n".join(l for l in QEMU.splitlines() if not l.startswith(f"{field} ="))
                self.assertManifestError(LAB_HEAD + UNIT + qemu + "\n" + line + "\n", field)

    def test_duplicate_test_names(self):
        self.assertManifestError(LAB_HEAD + UNIT + UNIT, "duplicate test name", "unit-a")

    def test_depends_on_unknown(self):
        self.assertManifestError(LAB_HEAD + UNIT + QEMU.replace('["unit-a"]', '["unit-b"]'),
                                 "qemu-a", "depends on unknown test 'unit-b'")

    def test_parent_after_child(self):
        self.assertManifestError(LAB_HEAD + QEMU + UNIT, "qemu-a", "after its parent 'unit-a'")

    def test_depends_on_itself(self):
        self.assertManifestError(LAB_HEAD + UNIT.replace('case = "a"', 'case = "a"\ndepends = ["unit-a"]'),
                                 "after its parent")

    def test_student_file_outside_minivmm(self):
        for f in ("guests/tinykernel/main.c", "minivmm/../grader/grade.py", "/etc/passwd",
                  "solutions/minivmm/core/exitcount.c"):
            with self.subTest(file=f):
                self.assertManifestError(LAB_HEAD.replace("minivmm/dev/pl011.c", f) + UNIT,
                                         f, "must be a path under minivmm/")

    def test_not_toml(self):
        self.assertManifestError("[lab\nnumber = ", "lab.toml")

    def test_hidden_toml_errors_name_hidden_file(self):
        d = self.write_lab("lab3-mmio", LAB_HEAD + UNIT, hidden=UNIT.replace('kind = "unit"', 'kind = "x"'))
        with self.assertRaises(ManifestError) as cm:
            manifest.load_lab(d)
        self.assertIn("hidden.toml", str(cm.exception))


class LabIds(TempLabs):
    """A lab of another track gives a string id ("x1") and its architecture."""

    X86 = LAB_HEAD.replace("number = 3", 'id = "x1"').replace('"arm"', '"x86"')

    def test_x86_lab_with_an_id(self):
        lab = manifest.load_lab(self.write_lab("labx1-pio", self.X86 + UNIT))
        self.assertEqual((lab.id, lab.number, lab.arch, lab.name), ("x1", 1, "x86", "labx1-pio"))

    def test_folder_must_match_the_id(self):
        self.assertManifestError(self.X86 + UNIT, "folder lab1-pio does not match lab id x1",
                                 "labx1-<name>", folder="lab1-pio")
        self.assertManifestError(self.X86 + UNIT, "does not match lab id x1", folder="labx10-pio")

    def test_arm_lab_may_give_its_id_as_a_string(self):
        lab = manifest.load_lab(self.write_lab("lab3-mmio", LAB_HEAD.replace("number = 3", 'id = "3"') + UNIT))
        self.assertEqual((lab.id, lab.number), ("3", 3))

    def test_lab_defaults_keep_the_number_as_id(self):
        lab = manifest.Lab(2, "lab2-x", "x", pathlib.Path("."), [], [])
        self.assertEqual((lab.id, lab.arch), ("2", "arm"))


class LoadAll(TempLabs):
    TWO = """
        [lab]
        number = {n}
        arch = "arm"
        title = "Lab {n}"
        student_files = [{files}]

        [[tests]]
        name = "{test}"
        kind = "unit"
        case = "c{n}"
        points = 1
        """

    def lab(self, n, folder, files, test):
        self.write_lab(folder, self.TWO.format(n=n, files=", ".join(f'"{f}"' for f in files), test=test))

    def test_sorted_by_number(self):
        self.lab(10, "lab10-ten", ["minivmm/b.c"], "t10")
        self.lab(2, "lab2-two", ["minivmm/a.c"], "t2")
        labs = manifest.load_all(self.root)
        self.assertEqual([l.number for l in labs], [2, 10])
        self.assertIs(manifest.find_lab(labs, 10), labs[1])

    def test_file_claimed_by_two_labs(self):
        self.lab(1, "lab1-one", ["minivmm/core/shared.c"], "t1")
        self.lab(2, "lab2-two", ["minivmm/core/x.c", "minivmm/core/shared.c"], "t2")
        with self.assertRaises(ManifestError) as cm:
            manifest.load_all(self.root)
        msg = str(cm.exception)
        for frag in ("minivmm/core/shared.c", "lab1-one", "lab2-two"):
            self.assertIn(frag, msg)

    def test_test_names_unique_across_labs(self):
        self.lab(1, "lab1-one", ["minivmm/a.c"], "same")
        self.lab(2, "lab2-two", ["minivmm/b.c"], "same")
        with self.assertRaises(ManifestError) as cm:
            manifest.load_all(self.root)
        self.assertIn("same", str(cm.exception))

    def test_two_labs_one_number(self):
        self.lab(1, "lab1-one", ["minivmm/a.c"], "ta")
        self.lab(1, "lab1-uno", ["minivmm/b.c"], "tb")
        with self.assertRaises(ManifestError) as cm:
            manifest.load_all(self.root)
        self.assertIn("number", str(cm.exception))

    def test_find_lab_unknown(self):
        self.lab(0, "lab0-zero", ["minivmm/a.c"], "t0")
        with self.assertRaises(ManifestError) as cm:
            manifest.find_lab(manifest.load_all(self.root), 99)
        self.assertIn("no lab 99", str(cm.exception))

    X86 = """
        [lab]
        id = "{id}"
        arch = "x86"
        title = "x86 lab {id}"
        student_files = ["minivmm/arch/x86/{id}.c"]

        [[tests]]
        name = "t{id}"
        kind = "unit"
        case = "c{id}"
        points = 1
        """

    def x86_lab(self, lab_id, folder):
        self.write_lab(folder, self.X86.format(id=lab_id))

    def test_x86_labs_sort_after_arm_labs(self):
        self.x86_lab("x1", "labx1-pio")
        self.x86_lab("x0", "labx0-boot")
        self.x86_lab("x10", "labx10-late")
        self.lab(10, "lab10-ten", ["minivmm/b.c"], "t10")
        self.lab(2, "lab2-two", ["minivmm/a.c"], "t2")
        labs = manifest.load_all(self.root)
        self.assertEqual([(l.id, l.arch) for l in labs],
                         [("2", "arm"), ("10", "arm"), ("x0", "x86"), ("x1", "x86"), ("x10", "x86")])
        self.assertEqual([l.number for l in labs], [2, 10, 0, 1, 10])
        self.assertIs(manifest.find_lab(labs, "x1"), labs[3])
        self.assertIs(manifest.find_lab(labs, "10"), labs[1])
        self.assertIs(manifest.find_lab(labs, 10), labs[1])
        self.assertIs(manifest.find_lab(labs, "X01"), labs[3], "case and leading zeros do not matter")

    def test_duplicate_id_across_tracks(self):
        # An x86 lab copied from an ARM one, its number kept: both would be lab "1".
        self.lab(1, "lab1-one", ["minivmm/a.c"], "ta")
        self.write_lab("lab1-pio", self.X86.format(id="x1").replace('id = "x1"', "number = 1"))
        with self.assertRaises(ManifestError) as cm:
            manifest.load_all(self.root)
        msg = str(cm.exception)
        for frag in ("lab1-one (arm)", "lab1-pio (x86)", "lab id '1'", "unique across all tracks"):
            self.assertIn(frag, msg)

    def test_one_number_twice_in_a_track(self):
        self.x86_lab("x1", "labx1-pio")
        self.x86_lab("y1", "laby1-pio")
        with self.assertRaises(ManifestError) as cm:
            manifest.load_all(self.root)
        self.assertIn("both number 1 of the x86 track", str(cm.exception))

    def test_find_lab_lists_the_ids(self):
        self.lab(0, "lab0-zero", ["minivmm/a.c"], "t0")
        self.x86_lab("x0", "labx0-boot")
        with self.assertRaises(ManifestError) as cm:
            manifest.find_lab(manifest.load_all(self.root), "x1")
        self.assertEqual(str(cm.exception), "no lab x1; labs are 0, x0")
        with self.assertRaises(ManifestError) as cm:
            manifest.find_lab([], "0")
        self.assertEqual(str(cm.exception), "no lab 0; there are no labs")

    def test_no_labs(self):
        self.assertEqual(manifest.load_all(self.root), [])


class WhatField(TempLabs):
    """'what': what a test checks, one paragraph for the handout's grading table (grader/tables.py)."""

    def test_what_is_read_and_optional(self):
        d = self.write_lab("lab3-mmio", LAB_HEAD + UNIT + 'what = "the ``a`` case: *k* reads."\n' + QEMU)
        unit, qemu = manifest.load_lab(d).tests
        self.assertEqual(unit.what, "the ``a`` case: *k* reads.")
        self.assertEqual(qemu.what, "", "a test without 'what' is valid (grader.tables asks for it)")

    def test_what_may_span_lines(self):
        d = self.write_lab("lab3-mmio", LAB_HEAD + UNIT + "what = '''\nfirst line,\nsecond line.'''\n")
        self.assertEqual(manifest.load_lab(d).tests[0].what, "first line,\nsecond line.")

    def test_bad_what(self):
        for value, fragment in (("3", "'what' must be str"), ('""', "'what' is empty"), ('"  "', "'what' is empty"),
                                ('"one.\\n\\ntwo."', "one paragraph"), ('"* a list"', "not a list"),
                                ('"- a list"', "not a list"), ('".. note:: x"', "directive"),
                                ('"1. first"', "not a list"),
                                ('"reads. Expected text: ``x``."', "give it in 'expect'")):
            with self.subTest(value=value):
                self.assertManifestError(LAB_HEAD + UNIT + f"what = {value}\n", "test 1", fragment)

    def test_what_in_hidden_toml(self):
        d = self.write_lab("lab3-mmio", LAB_HEAD + UNIT, hidden="""
            [[tests]]
            name = "secret"
            kind = "unit"
            case = "s"
            what = "hidden things."
            """)
        self.assertEqual(manifest.load_lab(d).tests[-1].what, "hidden things.")


class RealRepository(unittest.TestCase):
    def test_arm_labs_keep_their_numbers(self):
        labs = manifest.load_all()
        arm = [l for l in labs if l.arch == "arm"]
        self.assertEqual([l.id for l in arm][:5], ["0", "1", "2", "3", "4"])
        self.assertEqual([l.id for l in arm], [str(l.number) for l in arm])
        self.assertEqual(labs[:len(arm)], arm, "ARM's labs come first")

    def test_lab0(self):
        labs = manifest.load_all()
        lab0 = manifest.find_lab(labs, 0)
        self.assertEqual(lab0.name, "lab0-setup")
        self.assertIn("minivmm/core/exitcount.c", lab0.student_files)
        self.assertEqual(lab0.points, 10)
        names = {t.name: t for t in lab0.tests}
        for name, points in (("unit-exitcount", 2), ("unit-badclass", 1),
                             ("lab0-exitcount", 4), ("lab0-badclass", 3)):
            self.assertEqual(names[name].points, points)
        self.assertEqual(names["lab0-exitcount"].depends, ["unit-exitcount"])
        self.assertEqual(names["lab0-badclass"].depends, ["unit-badclass"])

    def test_every_student_file_has_skeleton_and_solution(self):
        for lab in manifest.load_all():
            for f in lab.student_files:
                with self.subTest(file=f):
                    self.assertTrue((manifest.ROOT / f).is_file(), f"skeleton {f}")
                    sol = manifest.ROOT / "solutions" / f
                    if (manifest.ROOT / "solutions").is_dir():  # not in the student handout
                        self.assertTrue(sol.is_file(), f"solution {sol}")

    def test_every_visible_test_says_what_it_checks(self):
        for lab in manifest.load_all():
            for test in lab.tests:
                if not test.hidden:
                    with self.subTest(test=test.name):
                        self.assertTrue(test.what.strip(), f"{lab.name}: {test.name} has no 'what'")

    def test_lab1_system_off_expects_the_frameworks_line(self):
        t = {t.name: t for t in manifest.find_lab(manifest.load_all(), 1).tests}["lab1-system-off"]
        self.assertIn("minivmm: guest called PSCI SYSTEM_OFF", t.expect)

    def test_cli_student_files(self):
        import subprocess
        import sys
        r = subprocess.run([sys.executable, "-m", "grader.manifest", "student-files"], cwd=manifest.ROOT,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("minivmm/core/exitcount.c", r.stdout.split())


if __name__ == "__main__":
    unittest.main()
