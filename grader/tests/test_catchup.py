"""Catch-up mode: the earlier labs' reference reaches a grading tree as objects only (grader/refobjs.py), and grades as the reference does."""
import pathlib
import shutil
import tempfile
import unittest
from unittest import mock

from grader import grade, manifest, refobjs, tree

ROOT = manifest.ROOT
HAS_REFERENCE = (ROOT / "solutions").is_dir()


def lab2():
    labs = manifest.load_all()
    return labs, manifest.find_lab(labs, "2")


def leaks(kit, mine):
    """Files of a grading tree (its build/ too) holding the bytes of a reference source
    other than those of mine (the graded lab's files, which the submission gave)."""
    refs = {p.read_bytes() for p in (ROOT / "solutions").rglob("*")
            if p.is_file() and p.relative_to(ROOT / "solutions").as_posix() not in mine}
    return sorted(str(p.relative_to(kit)) for p in pathlib.Path(kit).rglob("*")
                  if p.is_file() and not p.is_symlink() and p.read_bytes() in refs)


class PlanTest(unittest.TestCase):
    def test_earlier_labs_are_prebuilt_not_overlaid(self):
        labs, lab = lab2()
        earlier = [l for l in labs if l.arch == lab.arch and l.number < lab.number]
        with mock.patch.object(grade.tree, "reference_overlay",
                               lambda ls: {f: f"ref/{f}" for l in ls for f in l.student_files}):
            (p,) = grade.plan(labs, [lab], lambda l: {f: f"sub/{f}" for f in l.student_files}, catchup=True)
        self.assertEqual(sorted(p.overlay), sorted(lab.student_files), "only lab 2's files are laid over the kit")
        self.assertEqual(sorted(p.prebuilt), sorted(f for l in earlier for f in l.student_files))
        self.assertTrue(all(v.startswith("ref/") for v in p.prebuilt.values()))

    def test_without_catch_up_nothing_is_prebuilt(self):
        labs, lab = lab2()
        (p,) = grade.plan(labs, [lab], lambda l: {f: f"sub/{f}" for f in l.student_files}, catchup=False)
        self.assertEqual(p.prebuilt, {})

    def test_a_missing_reference_object_is_an_error(self):
        with tempfile.TemporaryDirectory() as held, tempfile.TemporaryDirectory() as kit:
            with self.assertRaises(refobjs.ReferenceError) as cm:
                refobjs.lay(pathlib.Path(kit), pathlib.Path(held), ["minivmm/arch/arm/pc.c"])
        self.assertIn("minivmm/arch/arm/pc.c", str(cm.exception))


@unittest.skipUnless(HAS_REFERENCE, "the instructor's repository only (solutions/)")
class GradeTest(unittest.TestCase):
    """Lab 2's reference files as a submission: in catch-up mode they get full marks (lab 2
    cannot work without labs 0 and 1, so the reference objects were linked), and no file of
    the grading tree holds a reference source's bytes."""

    @classmethod
    def setUpClass(cls):
        cls.work = pathlib.Path(tempfile.mkdtemp(prefix="mvcatchup-"))
        _, lab = lab2()
        for f in lab.student_files:
            (cls.work / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / "solutions" / f, cls.work / f)
        cls.found = []
        real = grade._run_plan

        def spy(p, kit, *args, **kw):
            cls.found.append(leaks(kit, lab.student_files))
            return real(p, kit, *args, **kw)
        with mock.patch.object(grade, "_run_plan", spy):
            cls.catchup = grade.grade("2", submission=cls.work, catchup=True)
        cls.plain = grade.grade("2", submission=cls.work)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def test_full_marks_with_the_reference_objects(self):
        self.assertIsNone(self.catchup.error)
        self.assertTrue(self.catchup.full, [(o.test.name, o.reason) for o in self.catchup.outcomes if not o.passed])

    def test_without_them_labs_0_and_1_are_skeletons(self):
        self.assertIsNone(self.plain.error)
        self.assertFalse(self.plain.full, "lab 2's tests do not depend on the earlier labs: this test proves nothing")

    def test_no_reference_source_in_the_tree(self):
        self.assertEqual(len(self.found), 1)
        self.assertEqual(self.found[0], [], "reference sources in the grading tree")

    def test_no_note_about_earlier_labs_missing(self):
        self.assertFalse([n for n in self.catchup.notes if n.startswith("missing from the submission")])


if __name__ == "__main__":
    unittest.main()
