"""Tests of grader/qemu.py (the per-arch machine table, the QEMU command lines) and of how
the grader passes a lab's architecture to the build and to QEMU."""
import contextlib
import io
import os
import pathlib
import unittest
from unittest import mock

from grader import grade, manifest, qemu, runner

# The argv that grader/qemu.py built for ARM before the machine table existed: the table
# must reproduce it byte for byte.
ARM_TEST_RUN = [
    "qemu-system-arm", "-M", "virt,virtualization=on,gic-version=2", "-cpu", "cortex-a15", "-m", "512",
    "-nographic", "-no-reboot", "-serial", "stdio", "-monitor", "none", "-semihosting-config",
    "enable=on,target=native,arg=minivmm,arg=build/guest/tinykernel.elf", "-kernel", "build/sol/minivmm.elf",
    "-icount", "shift=0,sleep=off"]
ARM_INTERACTIVE_GDB = [
    "qemu-system-arm", "-M", "virt,virtualization=on,gic-version=2", "-cpu", "cortex-a15", "-m", "512",
    "-nographic", "-no-reboot", "-serial", "mon:stdio", "-semihosting-config",
    "enable=on,target=native,arg=minivmm,arg=trace=exits,arg=mem=32,arg=g.elf,arg=run=demo,arg=nonce=1",
    "-kernel", "v.elf", "-gdb", "tcp:127.0.0.1:1234", "-S"]
ARM_LINUX_DIRECT = [
    "qemu-system-arm", "-M", "virt,gic-version=2", "-cpu", "cortex-a15", "-m", "128", "-nographic",
    "-no-reboot", "-serial", "stdio", "-monitor", "none", "-kernel", "z", "-initrd", "i",
    "-append", "console=ttyAMA0 x"]


# The x86 machine (AMD SVM with nested paging under TCG; minivmm a multiboot kernel, the guest a module).
X86_TEST_RUN = [
    "qemu-system-x86_64", "-M", "pc", "-cpu", "qemu64,+svm,+npt", "-m", "512", "-display", "none", "-vga", "none",
    "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-serial", "stdio", "-monitor", "none",
    "-kernel", "build/x86/sol/minivmm.elf", "-append", "trace=exits initrd=i,1.cpio build/x86/guest/x86guest.elf exit=42",
    "-initrd", "build/x86/guest/x86guest.elf,i,,1.cpio", "-icount", "shift=0,sleep=off"]


def no_x86_machine():
    """The machine table as it was before the x86 port: x86 planned, without a machine."""
    stack = contextlib.ExitStack()
    stack.enter_context(mock.patch.dict(qemu.MACHINES, {a: m for a, m in qemu.MACHINES.items() if a != "x86"},
                                        clear=True))
    stack.enter_context(mock.patch.dict(qemu.NOT_YET, {"x86": "the x86 track (minivmm/arch/x86/) is not "
                                                              "written yet (issue 16)"}))
    return stack


def no_qemu_override():
    env = {k: v for k, v in os.environ.items() if k != "QEMU"}
    return mock.patch.dict(os.environ, env, clear=True)


class ArmCommandLine(unittest.TestCase):
    def test_test_run_is_unchanged(self):
        with no_qemu_override():
            argv = qemu.command("build/sol/minivmm.elf", "build/guest/tinykernel.elf")
            self.assertEqual(argv, ARM_TEST_RUN)
            self.assertEqual(qemu.command("build/sol/minivmm.elf", "build/guest/tinykernel.elf", arch="arm"),
                             ARM_TEST_RUN)

    def test_interactive_gdb_run_is_unchanged(self):
        with no_qemu_override():
            argv = qemu.command("v.elf", "g.elf", ["trace=exits", "mem=32"], ["run=demo", "nonce=1"],
                                deterministic=False, gdb=True, interactive=True, arch="arm")
        self.assertEqual(argv, ARM_INTERACTIVE_GDB)

    def test_linux_direct_is_unchanged(self):
        with no_qemu_override():
            self.assertEqual(qemu.linux_command("z", "i", "console=ttyAMA0 x"), ARM_LINUX_DIRECT)

    def test_qemu_environment_variable_names_the_program(self):
        with mock.patch.dict(os.environ, {"QEMU": "/opt/qemu/bin/qemu-system-arm"}):
            argv = qemu.command("build/sol/minivmm.elf", "build/guest/tinykernel.elf")
        self.assertEqual(argv, ["/opt/qemu/bin/qemu-system-arm"] + ARM_TEST_RUN[1:])

    def test_semihosting_refuses_commas_and_empty_words(self):
        for word in ("a,b", ""):
            with self.subTest(word=word), self.assertRaises(ValueError) as cm:
                qemu.command("v.elf", "g.elf", [word])
            self.assertNotIsInstance(cm.exception, qemu.ArchError)
            self.assertIn("cannot be empty or contain ','", str(cm.exception))

    def test_exit_status_is_qemus(self):
        for status in (0, 1, 64, 70, 71, 255):
            self.assertEqual(qemu.exit_status("arm", status), status)
        self.assertIsNone(qemu.exit_status("arm", None), "a timeout stays a timeout")


class MachineTable(unittest.TestCase):
    def test_every_machine_is_a_known_arch(self):
        self.assertIn("arm", qemu.MACHINES)
        for arch in qemu.MACHINES:
            self.assertIn(arch, manifest.ARCHES)

    def test_an_arch_without_a_machine_says_why(self):
        with no_x86_machine():
            with self.assertRaises(qemu.ArchError) as cm:
                qemu.command("v.elf", "g.elf", arch="x86")
            self.assertEqual(str(cm.exception), "arch x86: the x86 track (minivmm/arch/x86/) is not written yet "
                                                "(issue 16); QEMU machines exist for: arm")
            with self.assertRaises(qemu.ArchError):
                qemu.linux_command("z", "i", "", arch="x86")
            with self.assertRaises(qemu.ArchError):
                qemu.exit_status("x86", 0)

    def test_unknown_arch(self):
        for arch in ("mips", "ARM", ""):
            with self.subTest(arch=arch), self.assertRaises(qemu.ArchError) as cm:
                qemu.machine(arch)
            self.assertEqual(str(cm.exception), f"unknown arch {arch!r}: QEMU machines exist for: arm, x86")

    def test_cli_refuses_an_arch_without_a_machine(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), no_x86_machine():
            status = qemu.main(["--arch", "x86", "--vmm", "none.elf", "--guest", "none.elf"])
        self.assertEqual(status, 2)
        self.assertIn("qemu: arch x86: the x86 track (minivmm/arch/x86/) is not written yet", err.getvalue())


class X86Machine(unittest.TestCase):
    def test_test_run(self):
        with no_qemu_override():
            self.assertEqual(qemu.command("build/x86/sol/minivmm.elf", "build/x86/guest/x86guest.elf",
                                          ["trace=exits", "initrd=i,1.cpio"], ["exit=42"], arch="x86"), X86_TEST_RUN)

    def test_multiboot_refuses_spaces_and_empty_words(self):
        for word in ("a b", "", "x\ty"):
            with self.subTest(word=word), self.assertRaises(ValueError) as cm:
                qemu.command("v.elf", "g.elf", [word], arch="x86")
            self.assertIn("cannot be empty or contain spaces", str(cm.exception))

    def test_exit_status_decodes_isa_debug_exit(self):
        # minivmm writes status + 1; QEMU ends with ((status + 1) << 1) | 1, in 8 bits
        for status in (0, 1, 42, 64, 65, 70, 71, 126):
            with self.subTest(status=status):
                self.assertEqual(qemu.exit_status("x86", (((status + 1) << 1) | 1) & 0xff), status)
        self.assertEqual(qemu.exit_status("x86", 0), 128, "QEMU shut down without minivmm's word")
        self.assertEqual(qemu.exit_status("x86", 1), 129, "QEMU's own error is never minivmm's 0")
        self.assertEqual(qemu.exit_status("x86", -9), -9, "a signal stays a signal")
        self.assertIsNone(qemu.exit_status("x86", None), "a timeout stays a timeout")


def lab(lab_id, arch, number, files=()):
    return manifest.Lab(number, f"lab{lab_id}-t", "t", pathlib.Path("."), list(files), [], arch, lab_id)


class GraderPassesTheArch(unittest.TestCase):
    def test_build_and_prepare_name_the_arch(self):
        argv = runner.make_argv(pathlib.Path("/k"), ["-j2", "all"], "arm")
        self.assertEqual(argv, ["make", "-C", "/k", "-j2", "all", "ARCH=arm", "SOLUTIONS=0", "SUBMISSION="])

    def test_qemu_test_of_a_lab_without_a_machine(self):
        x1 = lab("x1", "x86", 1)
        t = manifest.Test("pio", "qemu", 1, 10, lab=x1, program="pio")
        self.assertEqual(runner.test_arch(t), "x86")
        with no_x86_machine():
            o = runner.run_one(t, pathlib.Path("/nonexistent"))
        self.assertEqual(o.status, "error")
        self.assertIn("cannot run on QEMU: arch x86: the x86 track", o.reason)

    def test_a_test_without_a_lab_runs_on_arm(self):
        self.assertEqual(runner.test_arch(manifest.Test("boot", "qemu", 0, 10, program="demo")), "arm")

    def test_one_tree_per_track(self):
        labs = [lab("0", "arm", 0, ["a0"]), lab("1", "arm", 1, ["a1"]), lab("2", "arm", 2, ["a2"]),
                lab("x0", "x86", 0, ["x0"]), lab("x1", "x86", 1, ["x1"])]
        def source(lab):
            return {f: f for f in lab.student_files}
        plans = grade.plan(labs, [labs[1], labs[4]], source, catchup=False)
        self.assertEqual([(p.arch, [l.id for l in p.labs], sorted(p.overlay)) for p in plans],
                         [("arm", ["1"], ["a0", "a1"]), ("x86", ["x1"], ["x0", "x1"])])
        (only,) = grade.plan(labs, [labs[0]], source, catchup=False)
        self.assertEqual((only.arch, sorted(only.overlay)), ("arm", ["a0"]))

    def test_catch_up_takes_earlier_labs_of_the_same_track(self):
        labs = [lab("0", "arm", 0, ["a0"]), lab("1", "arm", 1, ["a1"]), lab("x1", "x86", 1, ["x1"])]
        with mock.patch.object(grade.tree, "reference_overlay",
                               lambda ls: {f: "ref" for l in ls for f in l.student_files}):
            (p,) = grade.plan(labs, [labs[2]], lambda l: {f: "sub" for f in l.student_files}, catchup=True)
        self.assertEqual((p.arch, p.overlay), ("x86", {"x1": "sub"}), "no ARM lab is 'earlier' than x1")

    def test_a_tree_holds_one_arch(self):
        with self.assertRaises(ValueError) as cm:
            grade.Plan({}, [lab("0", "arm", 0), lab("x0", "x86", 0)], ["x"])
        self.assertIn("two architectures (arm, x86)", str(cm.exception))

    def test_grading_an_unknown_lab_lists_the_ids(self):
        g = grade.grade("x1")
        self.assertEqual(g.outcomes, [])
        ids = ", ".join(l.id for l in manifest.load_all())
        self.assertEqual(g.error, f"no lab x1; labs are {ids}")


if __name__ == "__main__":
    unittest.main()
