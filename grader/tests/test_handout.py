"""Tests of what grader/handout.py leaves out of the student repository."""
import unittest

from grader import handout, manifest

ROOT = manifest.ROOT


def dropped(folder, names):
    return handout._ignore(str(ROOT / folder), names)


class HandoutExcludes(unittest.TestCase):
    def test_instructor_material(self):
        self.assertIn("solutions", dropped(".", ["solutions", "minivmm", "labs", "grader"]))
        self.assertNotIn("minivmm", dropped(".", ["solutions", "minivmm"]))
        self.assertIn("hidden.toml", dropped("labs/lab0-setup", ["hidden.toml", "lab.toml"]))
        self.assertNotIn("lab.toml", dropped("labs/lab0-setup", ["hidden.toml", "lab.toml"]))
        self.assertIn("build", dropped(".", ["build"]))

    def test_grader_fixtures_are_instructor_material(self):
        # grader/tests/fixtures/correct (and the host half of forges-output and
        # floods-in-qemu) is a working lab 0 solution, just not byte-equal to
        # solutions/, so handout.leaks() would not notice it either.
        self.assertIn("fixtures", dropped("grader/tests", ["fixtures", "test_e2e.py", "__init__.py"]))
        self.assertNotIn("test_e2e.py", dropped("grader/tests", ["fixtures", "test_e2e.py"]))


if __name__ == "__main__":
    unittest.main()
