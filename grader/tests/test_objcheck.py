"""The object inspection (grader/objcheck.py): its rules on small objects compiled here, malformed
objects, and the hostile fixture submissions of lab 0 graded end to end (each scores 0 with the
inspection's message)."""
import concurrent.futures
import pathlib
import random
import shutil
import subprocess
import tempfile
import unittest

from grader import manifest, objcheck
from grader.tests import test_e2e

ROOT = manifest.ROOT
ARM_CC = ["arm-none-eabi-gcc", "-mcpu=cortex-a15", "-marm", "-mfloat-abi=soft", "-ffreestanding", "-O2"]
HOST_CC = ["gcc", "-O1", "-fsanitize=address,undefined", "-fno-omit-frame-pointer"]
# fixture -> what the message says
HOSTILE = {"calls-system": "calls system()",
           # minivmm's link fails (no C library), though every file compiles
           "calls-fopen": "calls fopen() (an external symbol of its ARM object)", "has-constructor": "has a constructor or destructor (.init_array)",
           "semihosting-trap": "contains the semihosting trap HLT #0xF000 at exitcount.c.o .text+0x",
           "svc-trap": "contains SVC #0x0 at exitcount.c.o .text+0x",
           # not the object inspection: the source check before it (tree.bad_includes)
           "dotdot-include": "includes '../include/minivmm/labs.h': absolute and '..' includes are refused"}



def read_or_refuse(path):
    """Every rule's reading of a host object: it works, or refuses with ElfError (never
    another exception: a malformed object must not crash the grader)."""
    try:
        e = objcheck.load(path, "host")
        e.undefined()
        objcheck.constructors(e, path, True)
    except objcheck.ElfError:
        pass

@unittest.skipUnless(shutil.which("arm-none-eabi-gcc") and shutil.which("gcc"), "needs gcc and arm-none-eabi-gcc")
class Rules(unittest.TestCase):
    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="mvinsp-test-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def obj(self, cc, source, name="x"):
        src = self.tmp / f"{name}.c"
        src.write_text(source)
        subprocess.run([*cc, "-c", str(src), "-o", str(self.tmp / f"{name}.o")], check=True, capture_output=True)
        return self.tmp / f"{name}.o"

    def test_undefined_symbols(self):
        o = self.obj(HOST_CC, "int system(const char *);\nint f(void) { return system(\"id\"); }\n")
        self.assertIn("system", objcheck.load(o, "host").undefined())

    def test_plain_host_object_has_only_asan_ctor(self):
        o = self.obj(HOST_CC, "int g[4];\nint f(int i) { return g[i]; }\n")
        self.assertEqual(objcheck.constructors(objcheck.load(o, "host"), o, host=True), [])

    def test_constructor_refused(self):
        o = self.obj(HOST_CC, "#include <stdio.h>\n__attribute__((constructor)) static void c(void) { puts(\"x\"); }\n")
        self.assertTrue(any(".init_array" in m for m in objcheck.constructors(objcheck.load(o, "host"), o, True)))
        a = self.obj(ARM_CC, "volatile int x;\n__attribute__((destructor)) static void d(void) { x = 1; }\n", "a")
        self.assertTrue(any(".fini_array" in m for m in objcheck.constructors(objcheck.load(a, "arm"), a, False)))

    def test_constructor_dressed_as_asans_refused(self):
        o = self.obj(HOST_CC, "__attribute__((constructor(99))) static void _sub_I_00099_7(void)\n"
                              "{ __asm__ volatile(\"syscall\"); }\n")
        self.assertTrue(objcheck.constructors(objcheck.load(o, "host"), o, True))

    def test_traps(self):
        a = self.obj(ARM_CC, "int g(int x) { __asm__ volatile(\".inst 0xe10f0070\\n svc #0\\n .inst 0xe1600070\");"
                             " return x; }\n__attribute__((target(\"thumb\"))) int h(int x)"
                             " { __asm__ volatile(\"hlt #0x3c\\n svc #1\"); return x; }\n")
        found = objcheck.traps(objcheck.load(a, "arm"), a)
        self.assertEqual(found, ["contains the semihosting trap HLT #0xF000 at x.o .text+0x0",
                                 "contains SVC #0x0 at x.o .text+0x4", "contains SMC #0 at x.o .text+0x8",
                                 "contains the semihosting trap HLT #0x3c (Thumb) at x.o .text+0x10",
                                 "contains SVC #1 (Thumb) at x.o .text+0x12"])

    def test_trap_as_data_word_refused(self):
        a = self.obj(ARM_CC, "const unsigned w = 0xe10f0070;\n")
        self.assertTrue(objcheck.traps(objcheck.load(a, "arm"), a))

    def test_clean_arm_object(self):
        a = self.obj(ARM_CC, "unsigned f(unsigned a, unsigned b) { return a / b + (a << 3); }\n")
        self.assertEqual(objcheck.traps(objcheck.load(a, "arm"), a), [])

    def test_malformed_objects(self):
        good = self.obj(HOST_CC, "int f(void) { return 1; }\n").read_bytes()
        cases = [b"", b"\x7fELF", b"not an elf at all", good[:64], good[:200], good[:len(good) // 2],
                 good[:0x28] + b"\xff" * 8 + good[0x30:], good[:0x3C] + b"\xff\xff" + good[0x3E:]]
        for i, data in enumerate(cases):
            p = self.tmp / f"bad{i}.o"
            p.write_bytes(data)
            with self.subTest(i=i):
                read_or_refuse(p)
        with self.assertRaises(objcheck.ElfError):
            objcheck.load(self.tmp / "missing.o", "host")
        with self.assertRaises(objcheck.ElfError):  # an x86-64 object where an ARM one should be
            objcheck.load(self.obj(HOST_CC, "int f;\n", "h"), "arm")

    def test_fuzzed_objects_never_crash(self):
        good = bytearray(self.obj(HOST_CC, "int g[2];\nint f(int i) { return g[i]; }\n").read_bytes())
        rng = random.Random(17)
        for _ in range(300):
            data = bytearray(good)
            for _ in range(rng.randint(1, 20)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            p = self.tmp / "fuzz.o"
            p.write_bytes(bytes(data))
            read_or_refuse(p)


@unittest.skipUnless(test_e2e.FIXTURES.is_dir(), "no grader fixtures (student handout)")
@unittest.skipUnless(shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"),
                     "needs qemu-system-arm and gcc-arm-none-eabi")
class Fixtures(unittest.TestCase):
    """Each hostile fixture of lab 0 scores 0, every test failing its build with the inspection's message."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = pathlib.Path(tempfile.mkdtemp(prefix="mvinsp-e2e-"))
        with concurrent.futures.ThreadPoolExecutor(test_e2e.PARALLEL) as pool:
            futures = {n: pool.submit(test_e2e.grade, n, ["--submission", str(test_e2e.FIXTURES / n)], cls.tmp)
                       for n in HOSTILE}
            cls.runs = {n: f.result() for n, f in futures.items()}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_hostile_fixtures_score_zero(self):
        for name, says in HOSTILE.items():
            run = self.runs[name]
            with self.subTest(name=name):
                self.assertIsNotNone(run.results, str(run))
                self.assertEqual(run.results["score"], 0, str(run))
                for t in run.results["tests"]:
                    self.assertEqual(t["score"], 0, str(run))
                    self.assertIn("build failed: minivmm/core/exitcount.c", t["output"], str(run))
                    self.assertIn(says, t["output"], str(run))


if __name__ == "__main__":
    unittest.main()
