"""Tests of grader/format_check.py: a formatted file passes, a misformatted one is named and fixed."""
import contextlib
import io
import pathlib
import shutil
import subprocess
import tempfile
import unittest
import unittest.mock

from grader import format_check, manifest

ROOT = manifest.ROOT

# As the repository's .clang-format writes C: 4 spaces, a function's brace on its own line.
GOOD = """\
/* A well-formatted file. */
#include <stdint.h>

#define ONE 1u /* one */
#define TEN 10u

static uint32_t add(uint32_t a, uint32_t b)
{
    if (a > b)
        return a + b;
    switch (a) {
    case ONE: return TEN;
    default: break;
    }
    return b;
}
"""
BAD = """\
/* A badly formatted file. */
#include <stdint.h>

static uint32_t add(uint32_t a, uint32_t b) {
  return a+b;
}
"""


@unittest.skipUnless(format_check.clang_format(), "clang-format is not installed")
class FormatCheck(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="mvtest-format-")
        self.root = pathlib.Path(self._tmp.name)
        shutil.copy(ROOT / ".clang-format", self.root / ".clang-format")

    def tearDown(self):
        self._tmp.cleanup()

    def write(self, rel, text):
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return p

    def check(self, *extra):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = format_check.main(["--root", str(self.root), *extra])
        return status, out.getvalue()

    def test_formatted_file_passes(self):
        self.write("minivmm/core/good.c", GOOD)
        status, out = self.check()
        self.assertEqual(status, 0, out)
        self.assertIn("all 1 C files formatted", out)

    def test_misformatted_file_is_named_with_its_first_wrong_line(self):
        self.write("minivmm/core/good.c", GOOD)
        self.write("guests/tinykernel/bad.c", BAD)
        status, out = self.check()
        self.assertEqual(status, 1, out)
        self.assertIn("guests/tinykernel/bad.c:4:", out)
        self.assertIn("is:        static uint32_t add(uint32_t a, uint32_t b) {", out)
        self.assertIn("should be: static uint32_t add(uint32_t a, uint32_t b)\n", out)
        self.assertIn("run 'make format' to fix", out)
        self.assertNotIn("good.c", out)
        self.assertIn("1 of 2 files are not formatted", out)

    def test_fix_rewrites_only_the_misformatted_file(self):
        good = self.write("minivmm/core/good.c", GOOD)
        bad = self.write("solutions/minivmm/core/bad.h", BAD)
        status, out = self.check("--fix")
        self.assertEqual(status, 0, out)
        self.assertIn("reformatted solutions/minivmm/core/bad.h", out)
        self.assertEqual(good.read_text(), GOOD)
        self.assertIn("{\n    return a + b;\n}\n", bad.read_text())
        self.assertEqual(self.check()[0], 0)

    def test_only_c_files_under_the_three_folders(self):
        self.write("minivmm/core/good.c", GOOD)
        self.write("minivmm/notes.txt", BAD)
        self.write("labs/lab0-setup/tests/unit/bad.c", BAD)
        self.write("build/sol/src/bad.c", BAD)
        self.assertEqual(format_check.files(self.root), ["minivmm/core/good.c"])

    def test_headers_and_the_guest_keep_short_functions_on_one_line(self):
        for rel in ("minivmm/include/.clang-format", "minivmm/arch/arm/include/.clang-format",
                    "guests/.clang-format"):
            (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / rel, self.root / rel)
        one_line = "static inline int one(void) { return 1; }\n"
        self.write("minivmm/include/minivmm/one.h", one_line)
        self.write("minivmm/arch/arm/include/arch/one.h", one_line)
        self.write("guests/tinykernel/one.c", one_line)
        self.write("minivmm/core/one.c", "static inline int one(void)\n{\n    return 1;\n}\n")
        status, out = self.check()
        self.assertEqual(status, 0, out)
        self.write("minivmm/core/one.c", one_line)  # a .c file of the VMM: the body on lines of its own
        status, out = self.check()
        self.assertEqual(status, 1, out)
        self.assertIn("minivmm/core/one.c:1:", out)

    @unittest.skipUnless(shutil.which("git"), "git is not installed")
    def test_in_git_only_tracked_files(self):
        self.write("minivmm/core/good.c", GOOD)
        self.write("minivmm/core/untracked.c", BAD)
        git = ["git", "-C", str(self.root), "-c", "user.name=t", "-c", "user.email=t@localhost"]
        subprocess.run(git + ["init", "-q"], check=True)
        subprocess.run(git + ["add", "minivmm/core/good.c"], check=True)
        self.assertEqual(format_check.files(self.root), ["minivmm/core/good.c"])
        self.assertEqual(self.check()[0], 0)



class WithoutClangFormat(unittest.TestCase):
    def test_says_so_and_exits_2(self):
        with tempfile.TemporaryDirectory(prefix="mvtest-format-") as tmp:
            shutil.copy(ROOT / ".clang-format", pathlib.Path(tmp) / ".clang-format")
            (pathlib.Path(tmp) / "minivmm").mkdir()
            (pathlib.Path(tmp) / "minivmm/bad.c").write_text(BAD)
            out = io.StringIO()
            with unittest.mock.patch.object(format_check, "clang_format", return_value=None), \
                    contextlib.redirect_stdout(out):
                status = format_check.main(["--root", tmp])
        self.assertEqual(status, 2)
        self.assertIn("clang-format is not installed", out.getvalue())


if __name__ == "__main__":
    unittest.main()
