"""The Makefile's guard on SUBMISSION: nothing a shell would read as syntax reaches a recipe."""
import subprocess
import unittest

from grader.manifest import ROOT


def make_n(submission):
    """`make -n grade SUBMISSION=...`: (status, output), nothing run."""
    r = subprocess.run(["make", "-n", "-C", str(ROOT), "grade", f"SUBMISSION={submission}"],
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


class SubmissionGuard(unittest.TestCase):
    def test_metacharacters_refused(self):
        for bad in ("a;touch x", "a|b", "a&b", "a`id`", "a>b", "a<b", "a#b", "it's", 'a"b', "a\\b",
                    "a*", "a?", "(a)", "a{b}", "a!b", "a\tb"):
            with self.subTest(bad=bad):
                status, out = make_n(bad)
                self.assertNotEqual(status, 0, out)
                self.assertIn("SUBMISSION", out)
                self.assertNotIn("-m grader", out)

    def test_paths_and_urls_quoted(self):
        for good in ("labs/my-work", "sub.zip", "https://github.com/a/b.git", "~/x_1+2@v=3"):
            with self.subTest(good=good):
                status, out = make_n(good)
                self.assertEqual(status, 0, out)
                self.assertIn(f"--submission '{good}'", out)


if __name__ == "__main__":
    unittest.main()
