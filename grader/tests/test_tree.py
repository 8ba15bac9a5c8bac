"""Tests of grader/tree.py: build trees and submission intake (folder, zip, git)."""
import os
import pathlib
import shutil
import subprocess
import tempfile
import unittest
import zipfile

from grader import tree
from grader.tree import SubmissionError

ALLOWED = ["minivmm/core/exitcount.c", "minivmm/dev/uart.c"]


class Temp(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="mvtest-tree-")
        self.tmp = pathlib.Path(self._tmp.name)

    def tearDown(self):
        self._tmp.cleanup()

    def write(self, rel, text="x\n", base=None):
        p = (base or self.tmp) / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return p


class MakeTree(Temp):
    def test_copies_kit_without_build_and_git_and_lays_overlay(self):
        kit = self.tmp / "kit"
        self.write("Makefile", "all:\n", kit)
        self.write("minivmm/core/exitcount.c", "skeleton\n", kit)
        self.write("minivmm/core/vm.c", "vm\n", kit)
        self.write("build/sol/minivmm.elf", "old build\n", kit)
        self.write(".git/HEAD", "ref: refs/heads/main\n", kit)
        self.write("grader/__pycache__/x.cpython-311.pyc", "", kit)
        mine = self.write("sub/exitcount.c", "student\n")
        extra = self.write("sub/new.c", "new\n")
        out = tree.make_tree({"minivmm/core/exitcount.c": mine, "minivmm/dev/new.c": extra},
                             root=kit, parent=self.tmp)
        try:
            self.assertTrue(out.is_dir())
            self.assertNotEqual(out.resolve(), kit.resolve())
            self.assertEqual((out / "Makefile").read_text(), "all:\n")
            self.assertEqual((out / "minivmm/core/vm.c").read_text(), "vm\n")
            self.assertEqual((out / "minivmm/core/exitcount.c").read_text(), "student\n")
            self.assertEqual((out / "minivmm/dev/new.c").read_text(), "new\n")
            self.assertFalse((out / "build").exists())
            self.assertFalse((out / ".git").exists())
            self.assertFalse((out / "grader/__pycache__").exists())
            # the kit itself is untouched
            self.assertEqual((kit / "minivmm/core/exitcount.c").read_text(), "skeleton\n")
        finally:
            tree.remove_tree(out)
        self.assertFalse(out.exists())
        self.assertFalse(out.parent.exists(), "remove_tree removes the temporary folder too")

    def test_reference_overlay(self):
        from grader import manifest
        lab0 = manifest.find_lab(manifest.load_all(), 0)
        if not (manifest.ROOT / "solutions").is_dir():
            self.skipTest("no solutions/ (student handout)")
        ov = tree.reference_overlay([lab0])
        self.assertEqual(set(ov), set(lab0.student_files))
        for rel, src in ov.items():
            self.assertEqual(pathlib.Path(src), manifest.ROOT / "solutions" / rel)

    def test_reference_overlay_missing(self):
        from grader import manifest
        lab = manifest.Lab(9, "lab9-x", "x", self.tmp, ["minivmm/none.c"], [])
        with self.assertRaises(SubmissionError) as cm:
            tree.reference_overlay([lab], root=self.tmp)
        self.assertIn("minivmm/none.c", str(cm.exception))


class Seed(Temp):
    """tree.seed: a grading tree's build/ starts as a copy of a pristine build."""

    def setUp(self):
        super().setUp()
        self.build = self.tmp / "cache/build"
        for rel in ("skel/src/minivmm/a.c", "skel/vmm/minivmm/a.c.o", "skel/vmm/minivmm/a.c.d",
                    "skel/host/minivmm/a.c.o", "skel/src/minivmm/b.c", "skel/vmm/minivmm/b.c.o",
                    "skel/host/minivmm/b.c.o", "skel/vmm/minivmm/vm.c.o", "skel/unit/lab0-setup",
                    "skel/unit/framework", "guest/tinykernel.elf", "fixtures/truncated.elf"):
            self.write(rel, f"built from the skeleton: {rel}\n", self.build)
        (self.build / "skel/src/minivmm/a.c").write_text("skeleton a\n")
        (self.build / "skel/src/minivmm/b.c").write_text("skeleton b\n")
        self.kit = self.tmp / "tree/kit"
        self.write("minivmm/a.c", "skeleton a\n", self.kit)
        self.write("minivmm/b.c", "the student's b\n", self.kit)
        self.write("minivmm/vm.c", "vm\n", self.kit)

    def test_a_changed_file_loses_its_products_and_the_rest_is_kept(self):
        tree.seed(self.kit, self.build, ["minivmm/a.c", "minivmm/b.c"])
        b = self.kit / "build/skel"
        for kept in ("src/minivmm/a.c", "vmm/minivmm/a.c.o", "vmm/minivmm/a.c.d", "host/minivmm/a.c.o",
                     "vmm/minivmm/vm.c.o"):
            self.assertTrue((b / kept).is_file(), kept)
        for gone in ("src/minivmm/b.c", "vmm/minivmm/b.c.o", "host/minivmm/b.c.o"):
            self.assertFalse((b / gone).exists(), f"{gone} of the skeleton was kept for a changed file")
        self.assertTrue((self.kit / "build/guest/tinykernel.elf").is_file())
        self.assertTrue((self.kit / "build/fixtures/truncated.elf").is_file())

    def test_mtimes_let_make_keep_the_objects_and_rebuild_the_changed_file(self):
        tree.seed(self.kit, self.build, ["minivmm/a.c", "minivmm/b.c"])
        obj = (self.kit / "build/skel/vmm/minivmm/vm.c.o").stat().st_mtime
        self.assertEqual(obj, (self.build / "skel/vmm/minivmm/vm.c.o").stat().st_mtime, "mtimes are kept")
        for rel in ("minivmm/vm.c", "minivmm/a.c"):
            self.assertLess((self.kit / rel).stat().st_mtime, obj, f"{rel} is older than the objects")
        self.assertGreater((self.kit / "minivmm/b.c").stat().st_mtime, obj, "the changed file is the newest")

    def test_a_copy_not_links(self):
        tree.seed(self.kit, self.build, [])
        mine, theirs = self.kit / "build/skel/vmm/minivmm/vm.c.o", self.build / "skel/vmm/minivmm/vm.c.o"
        self.assertFalse(mine.is_symlink())
        self.assertNotEqual(mine.stat().st_ino, theirs.stat().st_ino)
        mine.write_text("written by a submission's test\n")
        self.assertEqual(theirs.read_text(), "built from the skeleton: skel/vmm/minivmm/vm.c.o\n")

    def test_only_the_check_programs_asked_for(self):
        tree.seed(self.kit, self.build, [], units=["lab0-setup"])
        self.assertEqual(os.listdir(self.kit / "build/skel/unit"), ["lab0-setup"])

    def test_kit_files_are_what_make_tree_copies(self):
        kit = tree.make_tree({})
        try:
            copied = sorted(p.relative_to(kit).as_posix() for p in kit.rglob("*") if p.is_file())
            self.assertEqual(tree.kit_files(kit), copied)
        finally:
            tree.remove_tree(kit)


class TakeStudentFiles(Temp):
    def test_exact_path(self):
        sub = self.tmp / "sub"
        want = self.write("minivmm/core/exitcount.c", base=sub)
        self.write("notes/exitcount.c", base=sub)  # same name elsewhere: the exact path wins
        self.write("README.md", base=sub)
        intake = tree.take_student_files(sub, ALLOWED)
        self.assertEqual(intake.taken, {"minivmm/core/exitcount.c": want})
        self.assertEqual(intake.missing, ["minivmm/dev/uart.c"])
        self.assertEqual(sorted(intake.ignored), ["README.md", "notes/exitcount.c"])

    def test_unique_basename(self):
        sub = self.tmp / "sub"
        ex = self.write("exitcount.c", base=sub)
        uart = self.write("somewhere/deep/uart.c", base=sub)
        intake = tree.take_student_files(sub, ALLOWED)
        self.assertEqual(intake.taken, {"minivmm/core/exitcount.c": ex, "minivmm/dev/uart.c": uart})
        self.assertEqual(intake.missing, [])
        self.assertEqual(intake.ignored, [])

    def test_ambiguous_basename_is_missing(self):
        sub = self.tmp / "sub"
        self.write("a/exitcount.c", base=sub)
        self.write("b/exitcount.c", base=sub)
        intake = tree.take_student_files(sub, ALLOWED)
        self.assertNotIn("minivmm/core/exitcount.c", intake.taken)
        self.assertIn("minivmm/core/exitcount.c", intake.missing)
        self.assertEqual(sorted(intake.ignored), ["a/exitcount.c", "b/exitcount.c"])

    def test_oversized_file_is_missing(self):
        sub = self.tmp / "sub"
        big = sub / "minivmm/core/exitcount.c"
        big.parent.mkdir(parents=True)
        with open(big, "wb") as f:
            f.truncate(tree.MAX_SUBMISSION_FILE + 1)
        just = self.write("minivmm/dev/uart.c", base=sub)
        with open(just, "wb") as f:
            f.truncate(tree.MAX_SUBMISSION_FILE)
        intake = tree.take_student_files(sub, ALLOWED)
        self.assertEqual(intake.missing, ["minivmm/core/exitcount.c"])
        self.assertEqual(intake.taken, {"minivmm/dev/uart.c": just})
        self.assertIn("minivmm/core/exitcount.c", intake.ignored)

    def test_ignored_lists_everything_else(self):
        sub = self.tmp / "sub"
        self.write("minivmm/core/exitcount.c", base=sub)
        others = ["Makefile", "labs/lab0-setup/lab.toml", "guests/tinykernel/programs/lab0.c",
                  "grader/runner.py", "minivmm/core/vm.c"]
        for o in others:
            self.write(o, base=sub)
        self.write(".git/config", base=sub)  # VCS data is neither taken nor reported
        intake = tree.take_student_files(sub, ALLOWED)
        self.assertEqual(sorted(intake.ignored), sorted(others))

    def test_empty_folder(self):
        sub = self.tmp / "sub"
        sub.mkdir()
        intake = tree.take_student_files(sub, ALLOWED)
        self.assertEqual((intake.taken, intake.missing, intake.ignored), ({}, ALLOWED, []))

    def test_symlink_out_of_the_submission_is_not_taken(self):
        # A submission (a git repository, or a folder unpacked by Gradescope) may hold
        # symlinks. A link to a file outside the submission must not be read: on
        # Gradescope the reference solution sits next to it, in /autograder/source.
        outside = self.write("source/solutions/minivmm/core/exitcount.c", "reference\n")
        sub = self.tmp / "sub"
        (sub / "minivmm/core").mkdir(parents=True)
        (sub / "minivmm/core/exitcount.c").symlink_to(outside)
        intake = tree.take_student_files(sub, ALLOWED)
        self.assertNotIn("minivmm/core/exitcount.c", intake.taken)

    def test_symlinked_folder_out_of_the_submission_is_not_taken(self):
        self.write("source/solutions/minivmm/core/exitcount.c", "reference\n")
        sub = self.tmp / "sub"
        sub.mkdir()
        (sub / "minivmm").symlink_to(self.tmp / "source/solutions/minivmm")
        intake = tree.take_student_files(sub, ALLOWED)
        self.assertNotIn("minivmm/core/exitcount.c", intake.taken)


class OpenSubmission(Temp):
    def setUp(self):
        super().setUp()
        self.work = self.tmp / "work"
        self.work.mkdir()

    def test_folder(self):
        sub = self.tmp / "sub"
        self.write("minivmm/core/exitcount.c", base=sub)
        self.assertEqual(tree.open_submission(str(sub), self.work), sub)

    def test_zip(self):
        z = self.tmp / "sub.zip"
        with zipfile.ZipFile(z, "w") as f:
            f.writestr("minivmm/core/exitcount.c", "int x;\n")
            f.writestr("README.md", "hi\n")
        out = tree.open_submission(str(z), self.work)
        self.assertEqual((out / "minivmm/core/exitcount.c").read_text(), "int x;\n")
        self.assertTrue(out.resolve().is_relative_to(self.work.resolve()))

    def _evil_zip(self, name):
        z = self.tmp / "evil.zip"
        with zipfile.ZipFile(z, "w") as f:
            f.writestr("minivmm/core/exitcount.c", "int x;\n")
            f.writestr(zipfile.ZipInfo(name), "pwned\n")
        return z

    def test_zip_with_dotdot_is_refused(self):
        for name in ("../evil", "minivmm/../../evil", "a/../../../evil"):
            with self.subTest(name=name):
                shutil.rmtree(self.work)
                self.work.mkdir()
                with self.assertRaises(SubmissionError) as cm:
                    tree.open_submission(str(self._evil_zip(name)), self.work)
                self.assertIn("outside", str(cm.exception))
                self.assertFalse((self.tmp / "evil").exists())

    def test_zip_with_absolute_path_is_refused(self):
        target = self.tmp / "abs-evil"
        with self.assertRaises(SubmissionError):
            tree.open_submission(str(self._evil_zip(str(target))), self.work)
        self.assertFalse(target.exists())

    def test_broken_zip(self):
        z = self.tmp / "broken.zip"
        z.write_bytes(b"PK\x03\x04 this is not a zip")
        with self.assertRaises(SubmissionError) as cm:
            tree.open_submission(str(z), self.work)
        self.assertIn("zip", str(cm.exception))

    def test_git_repository_is_cloned(self):
        if not shutil.which("git"):
            self.skipTest("git is not installed")
        repo = self.tmp / "repo"
        self.write("minivmm/core/exitcount.c", "committed\n", repo)
        git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@localhost"]
        env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}
        subprocess.run(["git", "init", "-q", str(repo)], check=True, env=env)
        subprocess.run(git + ["add", "-A"], check=True, env=env)
        subprocess.run(git + ["commit", "-qm", "lab 0"], check=True, env=env)
        self.write("uncommitted.c", "not committed\n", repo)
        out = tree.open_submission(str(repo), self.work)
        self.assertNotEqual(out.resolve(), repo.resolve(), "a repository is cloned, not used in place")
        self.assertTrue(out.resolve().is_relative_to(self.work.resolve()))
        self.assertEqual((out / "minivmm/core/exitcount.c").read_text(), "committed\n")
        self.assertFalse((out / "uncommitted.c").exists(), "the clone holds the committed work only")
        intake = tree.take_student_files(out, ALLOWED)
        self.assertIn("minivmm/core/exitcount.c", intake.taken)
        self.assertFalse(any(i.startswith(".git") for i in intake.ignored))

    def test_nonexistent_path(self):
        for spec in (str(self.tmp / "nope"), str(self.tmp / "nope.zip"), "/nonexistent"):
            with self.subTest(spec=spec):
                with self.assertRaises(SubmissionError):
                    tree.open_submission(spec, self.work)

    def test_clone_failure(self):
        with self.assertRaises(SubmissionError) as cm:
            tree.open_submission("https://127.0.0.1:9/nope.git", self.work)  # nothing listens on port 9
        self.assertIn("clone", str(cm.exception))

    def test_only_https_urls(self):
        """A "git URL" that is not https (a path of this machine, ssh, git's ext:: helper,
        an option) is refused before git runs."""
        marker = self.tmp / "ran"
        for spec in (f"file://{self.tmp}/repo.git", str(self.tmp / "nope.git"), "git@github.com:a/b.git",
                     "ssh://host/a.git", f"ext::sh -c touch% {marker}", "--upload-pack=touch x",
                     "https://host/a b.git", "https://host/a\nscore: 99/99"):
            with self.subTest(spec=spec):
                with self.assertRaises(SubmissionError) as cm:
                    tree.open_submission(spec, self.work)
                self.assertNotIn("\n", str(cm.exception).replace("\\n", ""))
        self.assertFalse(marker.exists())
        self.assertFalse((self.work / "submission").exists())

    def test_control_characters_in_names(self):
        """A file name with a newline could print a fake report line in a note: refused, escaped."""
        sub = self.tmp / "sub"
        self.write("minivmm/core/exitcount.c", base=sub)
        self.write("x\nscore: 10/10", base=sub)
        with self.assertRaises(SubmissionError) as cm:
            tree.take_student_files(sub, ALLOWED)
        self.assertIn("\\n", str(cm.exception))
        self.assertNotIn("\n", str(cm.exception))

    def test_plain_file(self):
        f = self.write("exitcount.c")
        with self.assertRaises(SubmissionError):
            tree.open_submission(str(f), self.work)


if __name__ == "__main__":
    unittest.main()


class Includes(Temp):
    """What a student file may read: refused in its source (absolute or '..' includes,
    .incbin), and found in the compiler's dependency list (-MD lists system headers too,
    so a header that calls itself a system header is listed all the same)."""

    def test_source_refusals(self):
        f = "minivmm/core/exitcount.c"
        cases = {
            '#include <minivmm/vm.h>\n#include "exit.h"\n#include <stdint.h>\n': [],
            '#include "/work/solutions/minivmm/core/exitcount.c"\n': ["includes '/work/solutions"],
            '  #  include_next <../../solutions/x.c>\n': ["includes '../../solutions/x.c'"],
            '#include "arch/../../x.h"\n': ["includes 'arch/../../x.h'"],
            '#import "/etc/passwd"\n': ["includes '/etc/passwd'"],
            '__asm__(".incbin \\"secret\\"");\n': ["uses .incbin"],
            '#include "a..b.h"\n': [],  # '..' inside a name is not a parent folder
        }
        for text, wanted in cases.items():
            with self.subTest(text=text):
                self.write(f, text)
                got = tree.bad_includes(self.tmp, [f, "minivmm/core/missing.c"])
                self.assertEqual(len(got), len(wanted), got)
                for line, w in zip(got, wanted):
                    self.assertTrue(line.startswith(f + ": ") and w in line, line)

    def test_dependency_list(self):
        f = "minivmm/core/exitcount.c"
        self.write(f"build/skel/host/{f}.d",
                   f"build/skel/host/{f}.o: build/skel/src/{f} minivmm/include/minivmm/vm.h \\\n"
                   " /usr/include/stdio.h /etc/hostname solutions/x.h\n"
                   "minivmm/include/minivmm/vm.h:\n")
        for p in ("minivmm/include/minivmm/vm.h", f"build/skel/src/{f}", "solutions/x.h"):
            self.write(p, "")
        self.assertEqual(tree.foreign_includes(self.tmp, [f]), [f"{f}: /etc/hostname", f"{f}: solutions/x.h"])
