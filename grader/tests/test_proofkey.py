"""Tests of grader/proofkey.py and of the runner's use of it: per-run proof keys patched into a
copy of tinykernel, never on minivmm's command line; the guest's HMAC (compiled for the host)
against RFC 4231 and the grader's; one real lab test through the runner."""
import hashlib
import hmac
import os
import pathlib
import shutil
import struct
import subprocess
import tempfile
import unittest
from unittest import mock

from grader import manifest, proc, proofkey, qemu, runner
from grader.proc import Result

ROOT = manifest.ROOT
GUEST_SRC = ROOT / "guests" / "tinykernel"
GUEST_ELF = ROOT / runner.GUEST


def elf32(sections):
    """A minimal little-endian ELF32 file with sections [(name, bytes)] (PROGBITS) and a
    .shstrtab: enough for proofkey.section()."""
    names = b"\0" + b"".join(n.encode() + b"\0" for n, _ in sections) + b".shstrtab\0"
    body, offsets = b"", []
    for _, data in sections:
        offsets.append(52 + len(body))
        body += data
    strtab_off = 52 + len(body)
    body += names
    shoff = 52 + len(body)
    shnum = len(sections) + 2
    head = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
    head += struct.pack("<HHIIIIIHHHHHH", 2, 40, 1, 0, 0, shoff, 0, 52, 32, 0, 40, shnum, shnum - 1)
    shdrs = bytes(40)
    pos = 1
    for (name, data), off in zip(sections, offsets):
        shdrs += struct.pack("<10I", pos, 1, 2, 0, off, len(data), 0, 0, 4, 0)
        pos += len(name) + 1
    shdrs += struct.pack("<10I", pos, 3, 0, 0, strtab_off, len(names), 0, 0, 1, 0)
    return head + body + shdrs


def image(key_bytes=proofkey.MARKER, extra=b""):
    return elf32([(".text", b"\0" * 16 + extra), (".proofkey", key_bytes), (".data", b"data")])


class Patch(unittest.TestCase):
    def test_patch_writes_the_key_over_the_marker(self):
        key = proofkey.new_key()
        data = image()
        out = proofkey.patch(data, key)
        self.assertEqual(len(out), len(data))
        self.assertNotIn(proofkey.MARKER, out)
        off, size = proofkey.section(out)
        self.assertEqual(out[off:off + size], key)
        self.assertEqual(out[:off] + proofkey.MARKER + out[off + size:], data)

    def test_keys_are_random(self):
        self.assertEqual(len(proofkey.new_key()), 32)
        self.assertNotEqual(proofkey.new_key(), proofkey.new_key())

    def test_marker_missing(self):
        with self.assertRaisesRegex(proofkey.ProofKeyError, "marker is not in"):
            proofkey.patch(image(bytes(32)), proofkey.new_key())

    def test_marker_twice(self):
        with self.assertRaisesRegex(proofkey.ProofKeyError, "2 times"):
            proofkey.patch(image(extra=proofkey.MARKER), proofkey.new_key())

    def test_marker_outside_the_section(self):
        data = elf32([(".text", proofkey.MARKER), (".proofkey", bytes(32))])
        with self.assertRaisesRegex(proofkey.ProofKeyError, "does not hold"):
            proofkey.patch(data, proofkey.new_key())

    def test_no_section(self):
        data = elf32([(".text", proofkey.MARKER)])
        with self.assertRaisesRegex(proofkey.ProofKeyError, "no .proofkey section"):
            proofkey.patch(data, proofkey.new_key())

    def test_not_elf(self):
        with self.assertRaisesRegex(proofkey.ProofKeyError, "not an ELF32"):
            proofkey.patch(b"MZ" + proofkey.MARKER + bytes(60), proofkey.new_key())

    def test_wrong_key_size(self):
        with self.assertRaises(proofkey.ProofKeyError):
            proofkey.patch(image(), bytes(16))

    @unittest.skipUnless(GUEST_ELF.is_file(), "tinykernel is not built (make)")
    def test_built_guest(self):
        data = GUEST_ELF.read_bytes()
        off, size = proofkey.section(data)
        self.assertEqual(data[off:off + size], proofkey.MARKER)
        key = proofkey.new_key()
        self.assertIn(key, proofkey.patch(data, key))


class Proofs(unittest.TestCase):
    KEY = bytes(range(32))

    def test_proof_is_hmac_sha256_prefix(self):
        want = hmac.new(self.KEY, b"lab0-exitcount", hashlib.sha256).hexdigest()
        self.assertEqual(proofkey.proof(self.KEY, "lab0-exitcount"), want[:16])

    def test_rfc4231_case_2(self):
        self.assertEqual(proofkey.proof(b"Jefe", "what do ya want for nothing?", 64),
                         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")

    def test_valid(self):
        p = proofkey.proof(self.KEY, "lab0-exitcount", 64)
        self.assertTrue(proofkey.valid(self.KEY, "lab0-exitcount", p[:16]))
        self.assertTrue(proofkey.valid(self.KEY, "lab0-exitcount", p))
        self.assertFalse(proofkey.valid(self.KEY, "lab0-exitcount", p[:15]), "too short to count")
        self.assertFalse(proofkey.valid(self.KEY, "lab0-exitcount", p[:16].upper()))
        self.assertFalse(proofkey.valid(self.KEY, "lab0-badclass", p[:16]), "another test's proof")
        self.assertFalse(proofkey.valid(bytes(32), "lab0-exitcount", p[:16]), "another key's proof")
        self.assertFalse(proofkey.valid(proofkey.MARKER, "lab0-exitcount", p[:16]))
        self.assertFalse(proofkey.valid(self.KEY, "lab0-exitcount",
                                        proofkey.proof(proofkey.MARKER, "lab0-exitcount")), "unpatched image")


@unittest.skipUnless(shutil.which("gcc"), "no host gcc")
class GuestHmac(unittest.TestCase):
    """guests/tinykernel/hmac.c and sha256.c built for the host: RFC 4231 and the grader's proofs."""
    MAIN = r"""
#include <stdio.h>
#include <string.h>
#include "hmac.h"
#include "sha256.h"
int main(int argc, char **argv)
{
    if (!hmac_sha256_selftest() || !sha256_selftest())
        return 1;
    unsigned char key[32], mac[32];
    char hex[65];
    for (int i = 0; i < 32; i++)
        sscanf(argv[1] + 2 * i, "%2hhx", &key[i]);
    for (int i = 2; i < argc; i++) {
        hmac_sha256(key, sizeof(key), argv[i], strlen(argv[i]), mac);
        sha256_hex(mac, hex);
        printf("%s\n", hex);
    }
    return 0;
}
"""

    def test_guest_hmac_matches(self):
        with tempfile.TemporaryDirectory() as d:
            main = pathlib.Path(d, "main.c")
            main.write_text(self.MAIN)
            exe = pathlib.Path(d, "hmac")
            subprocess.run(["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", str(GUEST_SRC), "-o", str(exe),
                            str(main), str(GUEST_SRC / "hmac.c"), str(GUEST_SRC / "sha256.c")], check=True)
            key = proofkey.new_key()
            names = ["lab0-exitcount", "", "x" * 200]
            r = subprocess.run([str(exe), key.hex(), *names], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, "RFC 4231 / FIPS 180-4 self-tests")
            self.assertEqual(r.stdout.split(), [proofkey.proof(key, n, 64) for n in names])


class RunnerKeys(unittest.TestCase):
    """runner._run_qemu with the untrusted step replaced: what it runs, what it keeps, what it accepts."""

    def setUp(self):
        self.kit = pathlib.Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.kit)
        guest = self.kit / runner.GUEST
        guest.parent.mkdir(parents=True)
        guest.write_bytes(image())
        self.test = manifest.Test(name="lab0-exitcount", kind="qemu", points=4, timeout=30,
                                  program="lab0-exitcount")

    def run_with(self, output):
        """Run the test; output(key seen in the booted image) is what 'QEMU' prints."""
        seen = {}

        def step(argv, kit, kind, timeout, **kw):
            word = next(w for w in argv if w.startswith("enable=on"))
            guest = [a[4:] for a in word.split(",") if a.startswith("arg=build/")][0]
            data = (pathlib.Path(kit) / guest).read_bytes()
            off, size = proofkey.section(data)
            seen.update(argv=argv, guest=guest, key=data[off:off + size], own=kw.get("own"))
            return Result(0, output(seen["key"]), False, 0.1)
        with mock.patch.object(runner, "_step", step):
            o = runner._run_qemu(self.test, self.kit, "sol", 30)
        return o, seen

    def good(self, key):
        return f"MVTEST lab0-exitcount PASS {proofkey.proof(key, 'lab0-exitcount')}\n"

    def test_keyed_copy_passes_and_goes(self):
        o, seen = self.run_with(self.good)
        self.assertTrue(o.passed, o.reason)
        self.assertRegex(seen["guest"], r"^build/tmp/guest-\w+\.elf$")
        self.assertNotEqual(seen["key"], proofkey.MARKER)
        self.assertIn(self.kit / seen["guest"], seen["own"])
        self.assertFalse((self.kit / seen["guest"]).exists(), "the run's copy is removed")
        self.assertEqual(list((self.kit / "build" / "tmp").iterdir()), [])
        self.assertEqual((self.kit / runner.GUEST).read_bytes(), image(), "the built image is untouched")

    def test_key_not_on_the_command_line(self):
        o, seen = self.run_with(self.good)
        self.assertTrue(o.passed, o.reason)
        key = seen["key"]
        for form in (key.hex(), key.hex().upper(), key.decode("latin-1")):
            for w in seen["argv"]:
                self.assertNotIn(form, w)
        self.assertTrue(any("nonce=" in w for w in seen["argv"]), "the nonce stays a boot argument")

    def test_each_run_has_its_own_key(self):
        keys = {self.run_with(self.good)[1]["key"] for _ in range(3)}
        self.assertEqual(len(keys), 3)

    def test_refused_lines(self):
        cases = {
            "made-up proof": lambda key: "MVTEST lab0-exitcount PASS 0123abcd0123abcd\n",
            "unpatched image": lambda key: self.good(proofkey.MARKER),
            "another test's proof": lambda key: f"MVTEST lab0-exitcount PASS {proofkey.proof(key, 'lab0-badclass')}\n",
            "another run's key": lambda key: self.good(bytes(32)),
        }
        for what, output in cases.items():
            with self.subTest(what):
                o, _ = self.run_with(output)
                self.assertFalse(o.passed)
                self.assertIn("not proved with this run's key", o.reason)

    def test_old_fnv_proof_of_the_real_nonce(self):
        def fnv_of_nonce(argv):
            nonce = [a for w in argv for a in w.split(",") if a.startswith("arg=nonce=")][0][10:]
            h = 0x811C9DC5
            for b in f"{nonce}:lab0-exitcount".encode():
                h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
            return f"{h:08x}"

        def step(argv, kit, kind, timeout, **kw):
            return Result(0, f"MVTEST lab0-exitcount PASS {fnv_of_nonce(argv)}\n", False, 0.1)
        with mock.patch.object(runner, "_step", step):
            o = runner._run_qemu(self.test, self.kit, "sol", 30)
        self.assertFalse(o.passed)
        self.assertIn("not proved with this run's key", o.reason)

    def test_image_without_marker_is_an_error(self):
        for bad in (image(bytes(32)), image(extra=proofkey.MARKER)):
            with self.subTest(bad=bad[-40:]):
                (self.kit / runner.GUEST).write_bytes(bad)
                ran = []
                with mock.patch.object(runner, "_step", lambda *a, **kw: ran.append(a)):
                    o = runner._run_qemu(self.test, self.kit, "sol", 30)
                self.assertFalse(o.passed)
                self.assertEqual(o.status, "error")
                self.assertIn("proof key", o.reason)
                self.assertEqual(ran, [], "nothing runs")

    def test_tests_without_proof_boot_the_built_image(self):
        for t in (manifest.Test(name="x", kind="qemu", points=1, timeout=30, program="hello", proof=False),
                  manifest.Test(name="y", kind="qemu", points=1, timeout=30, guest="build/linux/zImage",
                                proof=False)):
            with self.subTest(t.name):
                argvs = []

                def step(argv, kit, kind, timeout, **kw):
                    argvs.append(argv)
                    return Result(0, "", False, 0.1)
                with mock.patch.object(runner, "_step", step):
                    runner._run_qemu(t, self.kit, "sol", 30)
                self.assertIn(f"arg={t.guest or runner.GUEST}", argvs[0][argvs[0].index("-semihosting-config") + 1])


def _runnable():
    sol = ROOT / "build" / "sol" / "minivmm.elf"
    if not (sol.is_file() and GUEST_ELF.is_file()):
        return "the reference is not built (make SOLUTIONS=1)"
    if not shutil.which(qemu.program(qemu.machine("arm"))):
        return "no qemu-system-arm"
    return ""


@unittest.skipIf(_runnable(), _runnable())
class EndToEnd(unittest.TestCase):
    """lab0-exitcount with the reference build, through the runner (unsandboxed), and the
    built image's own (marker-keyed) PASS line refused."""

    def lab0_test(self):
        lab = manifest.find_lab(manifest.load_all(), 0)
        return next(t for t in lab.tests if t.name == "lab0-exitcount")

    def test_reference_passes(self):
        before = set((ROOT / "build" / "tmp").glob("guest-*.elf"))
        o = runner.run_one(self.lab0_test(), ROOT, "sol")
        self.assertTrue(o.passed, f"{o.reason}\n{o.output[-2000:]}")
        self.assertRegex(o.output, r"(?m)^MVTEST lab0-exitcount PASS [0-9a-f]{16}$")
        self.assertEqual(set((ROOT / "build" / "tmp").glob("guest-*.elf")), before, "the run's copy is removed")

    def test_unpatched_image_is_refused(self):
        t = self.lab0_test()
        cmd = qemu.command(ROOT / "build" / "sol" / "minivmm.elf", runner.GUEST, [],
                           [f"run={t.program}", "nonce=12345678"], net=qemu.net_args(""))
        r = proc.run(cmd, 60, cwd=ROOT)
        self.assertIn(f"MVTEST {t.program} PASS {proofkey.proof(proofkey.MARKER, t.program)}", r.output)
        why = runner._judge_qemu(t, r, "12345678", key=proofkey.new_key())
        self.assertIn("not proved with this run's key", why)


if __name__ == "__main__":
    unittest.main()
