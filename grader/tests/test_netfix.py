"""Tests of a QEMU test's network: the per-run fixture and its placeholders (grader/netfix.py),
the pcap reader, the HTTP responder (grader/netserve.py), QEMU's network arguments
(grader/qemu.py net_args), the manifest fields `net` and `expect_pcap`, and the runner's
plumbing, with a stand-in QEMU that plays the guest."""
import hashlib
import os
import pathlib
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import textwrap
import unittest
from unittest import mock

from grader import manifest, netfix, netserve, proc, qemu, runner

NETSERVE = pathlib.Path(netserve.__file__).resolve()


def pcap_bytes(frames, order="<", magic=0xA1B2C3D4, cut=0):
    """A classic pcap file of frames (Ethernet link type), cut bytes short at the end."""
    data = struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 65535, 1)
    for i, f in enumerate(frames):
        data += struct.pack(order + "IIII", 1000 + i, 0, len(f), len(f)) + f
    return data[:len(data) - cut]


class Fixture(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def test_files_sizes_and_sums(self):
        with netfix.Fixture(self.tmp.name, "abcd1234") as fix:
            self.assertEqual(fix.path.parent, pathlib.Path(self.tmp.name).resolve())
            small = (fix.path / "tftp/small.bin").read_bytes()
            big = (fix.path / "tftp/big.bin").read_bytes()
            self.assertEqual(len(small), 3000)
            self.assertNotEqual(len(small) % 512, 0, "the last TFTP block must be a short one")
            self.assertEqual(len(big), 1 << 20)
            self.assertEqual((fix.path / "http/big.bin").read_bytes(), big, "HTTP and TFTP serve the same big.bin")
            self.assertEqual(fix.sums["small.bin"], hashlib.sha256(small).hexdigest())
            self.assertEqual(fix.sums["big.bin"], hashlib.sha256(big).hexdigest())
            self.assertEqual(fix.sums["tftp/small.bin"], fix.sums["small.bin"])
            self.assertEqual(fix.sums["http/big.bin"], fix.sums["big.bin"])
            self.assertEqual(sorted(fix.sums), netfix.NAMES)
            self.assertNotIn(small, big, "the two files are drawn separately")
            path = fix.path
        self.assertFalse(path.exists(), "the folder goes with the run")

    def test_content_needs_the_secret_not_only_the_nonce(self):
        def sums(nonce, secret):
            fix = netfix.Fixture(self.tmp.name, nonce, secret)
            fix.remove()
            return fix.sums
        self.assertEqual(sums("n1", b"s"), sums("n1", b"s"), "the same nonce and secret: the same files")
        self.assertNotEqual(sums("n1", b"s")["small.bin"], sums("n2", b"s")["small.bin"])
        self.assertNotEqual(sums("n1", b"s")["small.bin"], sums("n1", b"t")["small.bin"])
        a, b = netfix.Fixture(self.tmp.name, "n1"), netfix.Fixture(self.tmp.name, "n1")
        a.remove(), b.remove()
        self.assertNotEqual(a.sums["big.bin"], b.sums["big.bin"], "a fresh secret each run")
        self.assertNotEqual(a.path, b.path)


class Placeholders(unittest.TestCase):
    SUMS = {"small.bin": "aa", "big.bin": "bb", "tftp/small.bin": "aa"}

    def test_expand(self):
        self.assertEqual(netfix.expand("sha256 small.bin {sha256:small.bin}", "n", self.SUMS), "sha256 small.bin aa")
        self.assertEqual(netfix.expand("{sha256:tftp/small.bin} {sha256:big.bin}", "n", self.SUMS), "aa bb")
        self.assertEqual(netfix.expand("GET /?nonce={nonce}", "1f2e", None), "GET /?nonce=1f2e")
        for text in ("{}", "{x}", "a {nonce", "{ nonce }", "{sha256}", "plain"):
            self.assertEqual(netfix.expand(text, "n", self.SUMS), text, "other braces stay")
        with self.assertRaises(ValueError):
            netfix.expand("{sha256:small.bin}", "n", None)
        with self.assertRaises(ValueError):
            netfix.expand("{sha256:nope}", "n", self.SUMS)

    def test_problems(self):
        self.assertIsNone(netfix.placeholder_problem("{sha256:small.bin} {nonce}", "user"))
        self.assertIsNone(netfix.placeholder_problem("{nonce}", ""), "{nonce} needs no network")
        self.assertIn("needs a network test", netfix.placeholder_problem("{sha256:small.bin}", ""))
        why = netfix.placeholder_problem("{sha256:huge.bin}", "user")
        self.assertIn("no fixture file 'huge.bin'", why)
        self.assertIn("small.bin", why)


class Pcap(unittest.TestCase):
    FRAMES = [b"\xff" * 14 + b"first frame", b"GET /big.bin?nonce=abc HTTP/1.1\r\n", b""]

    def test_both_byte_orders_and_nanosecond_stamps(self):
        for order, magic in (("<", 0xA1B2C3D4), (">", 0xA1B2C3D4), ("<", 0xA1B23C4D), (">", 0xA1B23C4D)):
            with self.subTest(order=order, magic=hex(magic)):
                self.assertEqual(netfix.pcap_frames(pcap_bytes(self.FRAMES, order, magic)), self.FRAMES)

    def test_a_cut_last_record_is_left_out(self):
        for cut in (1, 5, 10 + len(self.FRAMES[1])):
            with self.subTest(cut=cut):
                frames = netfix.pcap_frames(pcap_bytes(self.FRAMES[:2], cut=cut))
                self.assertEqual(frames, self.FRAMES[:1])
        self.assertEqual(netfix.pcap_frames(pcap_bytes([])), [])

    def test_not_a_pcap(self):
        for data, why in ((b"", "shorter than a pcap header"), (b"\0" * 24, "not a pcap file (magic 00000000)"),
                          (pcap_bytes([])[:20], "shorter")):
            with self.subTest(why=why), self.assertRaises(netfix.PcapError) as cm:
                netfix.pcap_frames(data)
            self.assertIn(why, str(cm.exception))
        bad = pcap_bytes([]) + struct.pack("<IIII", 0, 0, 1 << 30, 1 << 30)
        with self.assertRaises(netfix.PcapError):
            netfix.pcap_frames(bad)

    def test_problem(self):
        with tempfile.TemporaryDirectory() as d:
            path = pathlib.Path(d, "t.pcap")
            self.assertIn("no pcap was written", netfix.pcap_problem(path, ["x"]))
            self.assertIsNone(netfix.pcap_problem(path, []), "nothing to look for: no pcap needed")
            path.write_bytes(pcap_bytes(self.FRAMES))
            self.assertIsNone(netfix.pcap_problem(path, ["nonce=abc", "first frame"]))
            why = netfix.pcap_problem(path, ["nonce=abc", "frameGET"])
            self.assertIn("no frame of the pcap (3 frames", why)
            self.assertIn("'frameGET'", why, "bytes across two frames are not in one frame")
            path.write_bytes(b"junk" * 10)
            self.assertIn("not a pcap file", netfix.pcap_problem(path, ["x"]))


class HttpResponder(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = pathlib.Path(tmp.name, "http")
        self.dir.mkdir()
        (self.dir / "big.bin").write_bytes(b"\x00\x01payload" * 100)
        (self.dir / ".hidden").write_bytes(b"secret")
        (self.dir / "sub").mkdir()
        (self.dir / "sub" / "f").write_bytes(b"secret")
        pathlib.Path(tmp.name, "outside").write_bytes(b"secret")

    def ask(self, request):
        head, path = netserve.respond(self.dir, request)
        return head.decode("latin-1").split("\r\n", 1)[0], head, path

    def test_get_and_head(self):
        for target in ("/big.bin", "/big.bin?nonce=abcd1234", "http://10.0.2.100/big.bin?x=1"):
            with self.subTest(target=target):
                line, head, path = self.ask(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                self.assertEqual(line, "HTTP/1.0 200 OK")
                self.assertIn(b"Content-Length: 900\r\n", head)
                self.assertEqual(path, self.dir / "big.bin")
        line, head, path = self.ask(b"HEAD /big.bin HTTP/1.0\r\n\r\n")
        self.assertEqual((line, path), ("HTTP/1.0 200 OK", None))

    def test_refusals(self):
        for request, status in ((b"GET /../outside HTTP/1.0\r\n\r\n", 404), (b"GET /.hidden HTTP/1.0\r\n\r\n", 404),
                                (b"GET /sub/f HTTP/1.0\r\n\r\n", 404), (b"GET /sub HTTP/1.0\r\n\r\n", 404),
                                (b"GET / HTTP/1.0\r\n\r\n", 404), (b"GET /nothing HTTP/1.0\r\n\r\n", 404),
                                (b"POST /big.bin HTTP/1.0\r\n\r\n", 405), (b"hello\r\n\r\n", 400),
                                (b"GET /big.bin HTTP/2\r\n\r\n", 400), (b"\xff\xfe\r\n\r\n", 400)):
            with self.subTest(request=request):
                line, _, path = self.ask(request)
                self.assertTrue(line.startswith(f"HTTP/1.0 {status} "), line)
                self.assertIsNone(path)

    def converse(self, request, cwd):
        """Run netserve.py as QEMU does: the connection on stdin, stdout and stderr."""
        ours, theirs = socket.socketpair()
        with ours:
            p = subprocess.Popen([sys.executable, str(NETSERVE), str(self.dir)], stdin=theirs, stdout=theirs,
                                 stderr=theirs, cwd=cwd)
            theirs.close()
            ours.sendall(request)
            reply = b""
            ours.settimeout(20)
            while chunk := ours.recv(65536):
                reply += chunk
            self.assertEqual(p.wait(20), 0)
        return reply

    def test_a_whole_connection_from_any_folder(self):
        reply = self.converse(b"GET /big.bin?nonce=1 HTTP/1.1\r\nHost: 10.0.2.100\r\n\r\n", cwd="/")
        head, body = reply.split(b"\r\n\r\n", 1)
        self.assertTrue(head.startswith(b"HTTP/1.0 200 OK\r\n"))
        self.assertEqual(body, (self.dir / "big.bin").read_bytes())
        reply = self.converse(b"GET /missing HTTP/1.0\r\n\r\n", cwd="/")
        self.assertTrue(reply.startswith(b"HTTP/1.0 404 Not Found\r\n"))
        self.assertNotIn(b"Traceback", reply)


class NetArgs(unittest.TestCase):
    def test_no_network(self):
        self.assertEqual(qemu.net_args(""), ["-nic", "none"])
        with self.assertRaises(ValueError):
            qemu.net_args("", pcap="x.pcap")
        with self.assertRaises(ValueError) as cm:
            qemu.net_args("tap")
        self.assertIn("network 'tap'", str(cm.exception))

    def test_open_user_network(self):
        self.assertEqual(qemu.net_args("user"), ["-nic", "none", "-netdev", "user,id=n0",
                                                 "-device", "virtio-net-device,netdev=n0"])
        self.assertEqual(qemu.net_args("user", device="ne2k_pci")[-1], "ne2k_pci,netdev=n0")

    def test_isolated_network_with_the_fixture(self):
        argv = qemu.net_args("user", "/k/build/tmp/net-x", "/k/build/test-logs/t.pcap")
        self.assertEqual(argv[:3], ["-nic", "none", "-netdev"])
        backend = argv[3]
        self.assertTrue(backend.startswith("user,id=n0,restrict=on,tftp=/k/build/tmp/net-x/tftp,"
                                           "guestfwd=tcp:10.0.2.100:80-cmd:"), backend)
        cmd = backend.split("-cmd:", 1)[1]
        self.assertEqual(cmd, f"{sys.executable} {NETSERVE} /k/build/tmp/net-x/http")
        self.assertEqual(argv[4:], ["-device", "virtio-net-device,netdev=n0", "-object",
                                    "filter-dump,id=f0,netdev=n0,file=/k/build/test-logs/t.pcap"])

    def test_commas_and_spaces_in_paths(self):
        argv = qemu.net_args("user", "/k,x/my tree", "/l,y/t.pcap")
        self.assertIn("tftp=/k,,x/my tree/tftp,", argv[3])
        self.assertTrue(argv[3].endswith(" '/k,,x/my tree/http'"), "quoted for the shell-like split of cmd:")
        self.assertTrue(argv[-1].endswith("file=/l,,y/t.pcap"))

    def test_command_and_linux_command_take_them(self):
        net = qemu.net_args("user")
        argv = qemu.command("v.elf", "g.elf", net=net)
        self.assertEqual(argv[-len(net) - 2:-2], net, "before -icount")
        self.assertNotIn("-nic", qemu.command("v.elf", "g.elf"), "no net: QEMU's default, as before")
        bare = qemu.linux_command("z", "i", "a", net=qemu.net_args("user", device="ne2k_pci"))
        self.assertEqual(bare[bare.index("-M") + 1], "virt,gic-version=2,highmem=off", "PCI below 4 GiB")
        self.assertEqual(bare[-2:], ["-device", "ne2k_pci,netdev=n0"])
        plain = qemu.linux_command("z", "i", "a")
        self.assertEqual(plain[plain.index("-M") + 1], "virt,gic-version=2")

    def test_the_cli_passes_the_mode(self):
        with tempfile.TemporaryDirectory() as d:
            vmm, guest = pathlib.Path(d, "v.elf"), pathlib.Path(d, "g.elf")
            vmm.write_bytes(b""), guest.write_bytes(b"")
            seen = {}

            def fake_run(argv, timeout, echo=False):
                seen["argv"] = argv
                return proc.Result(0, "", 0, 0.0)
            with mock.patch.object(qemu, "run", fake_run):
                qemu.main(["--vmm", str(vmm), "--guest", str(guest)])
                self.assertIn("-nic", seen["argv"])
                self.assertNotIn("-netdev", seen["argv"])
                qemu.main(["--vmm", str(vmm), "--guest", str(guest), "--net", "user"])
                self.assertIn("user,id=n0", seen["argv"])


def load(text):
    """The tests of a manifest text."""
    with tempfile.TemporaryDirectory() as d:
        path = pathlib.Path(d, "t.toml")
        path.write_text(textwrap.dedent(text))
        return manifest.load_tests(path)[1]


NET_TEST = '''
[[tests]]
name = "net"
kind = "qemu"
guest = "build/linux/zImage"
proof = false
'''


class ManifestFields(unittest.TestCase):
    def test_defaults(self):
        (t,) = load(NET_TEST)
        self.assertEqual((t.net, t.expect_pcap), ("", []))

    def test_a_network_test(self):
        (t,) = load(NET_TEST + 'net = "user"\nexpect = ["sha256 big.bin {sha256:big.bin}", "{nonce}"]\n'
                    'expect_pcap = ["GET /big.bin?nonce={nonce}", "{sha256:tftp/small.bin}"]\n')
        self.assertEqual(t.net, "user")
        self.assertEqual(t.expect_pcap, ["GET /big.bin?nonce={nonce}", "{sha256:tftp/small.bin}"])

    def test_refusals(self):
        for extra, why in (('net = "tap"', "net 'tap' is not one of '', 'user'"),
                           ("net = 1", "'net' must be str"),
                           ('expect_pcap = "x"', "'expect_pcap' must be a list of strings"),
                           ('expect_pcap = ["x"]', "'expect_pcap' needs a network"),
                           ('expect = ["{sha256:small.bin}"]', "needs a network test"),
                           ('net = "user"\nexpect = ["{sha256:other.bin}"]', "no fixture file 'other.bin'"),
                           ('net = "user"\nexpect_pcap = ["{sha256:x}"]', "no fixture file 'x'")):
            with self.subTest(extra=extra), self.assertRaises(manifest.ManifestError) as cm:
                load(NET_TEST + extra + "\n")
            self.assertIn(why, str(cm.exception))
        with self.assertRaises(manifest.ManifestError) as cm:
            load('[[tests]]\nname = "u"\nkind = "unit"\ncase = "c"\nnet = "user"\n')
        self.assertIn("'net' is for qemu tests", str(cm.exception))

    def test_the_kit_has_one_list_of_modes(self):
        self.assertIs(qemu.NET_MODES, manifest.NET_MODES)

    def test_integration_linux_net(self):
        _, tests = manifest.load_tests(manifest.ROOT / "minivmm/tests/integration.toml", default_graded=False)
        (t,) = [t for t in tests if t.name == "linux-net"]
        self.assertEqual((t.net, t.needs, t.guest), ("user", "linux", "build/linux/zImage"))
        self.assertIn("minivmm.net", t.guest_args.split())
        self.assertIn("idregs=native", t.vmm_opts.split())
        for name in ("small.bin", "big.bin"):
            self.assertTrue(any(f"{{sha256:{name}}}" in s for s in t.expect), name)


# A stand-in for qemu-system-arm (QEMU=...): plays a guest on the test's network. It reads
# the fixture's files from the -netdev tftp= folder, prints their sums, and writes a pcap
# with one frame holding the HTTP request with the nonce (or not, if the guest args say so).
FAKE_QEMU = r'''
import hashlib, pathlib, struct, sys
argv = sys.argv[1:]
semi = argv[argv.index("-semihosting-config") + 1]
words = [w[4:] for w in semi.split(",") if w.startswith("arg=")]
nonce = next(w[6:] for w in words if w.startswith("nonce="))
if "-netdev" not in argv:
    print("no network:", " ".join(argv[argv.index("-nic"):argv.index("-nic") + 2]))
    sys.exit(0)
opts = dict(o.split("=", 1) for o in argv[argv.index("-netdev") + 1].split(",")[2:])
tftp = pathlib.Path(opts["tftp"])
print(f"cwd files: {sorted(p.name for p in tftp.iterdir())}")
for name in ("small.bin", "big.bin"):
    print(f"sha256 {name} {hashlib.sha256((tftp / name).read_bytes()).hexdigest()}")
if "tftp-folder" in words:
    print(f"fixture at {tftp.parent}")
if "no-pcap" in words:
    sys.exit(0)
dump = next(a for a in argv if a.startswith("filter-dump,"))
pcap = pathlib.Path(dump.split("file=", 1)[1])
frame = b"\x00" * 54 + (f"GET /big.bin?nonce={nonce} HTTP/1.1" if "no-nonce" not in words else "GET /").encode()
pcap.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
                 + struct.pack("<IIII", 1, 0, len(frame), len(frame)) + frame)
'''


class RunnerWithANetwork(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.kit = pathlib.Path(tmp.name)
        fake = self.kit / "fake-qemu"
        fake.write_text(f"#!{sys.executable}\n" + FAKE_QEMU)
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
        patch = mock.patch.dict(os.environ, {"QEMU": str(fake)})
        patch.start()
        self.addCleanup(patch.stop)

    def net_test(self, **kw):
        fields = dict(name="linux-net", kind="qemu", points=0, timeout=30, guest="z", proof=False, net="user",
                      expect=["sha256 small.bin {sha256:small.bin}", "sha256 big.bin {sha256:big.bin}"],
                      expect_pcap=["GET /big.bin?nonce={nonce} HTTP/1."])
        return manifest.Test(**{**fields, **kw})

    def test_sums_and_pcap_pass(self):
        o = runner.run_one(self.net_test(guest_args="tftp-folder"), self.kit, "sol")
        self.assertTrue(o.passed, o.reason + "\n" + o.output)
        self.assertEqual(o.pcap, str(self.kit.resolve() / "build/test-logs/minivmm-linux-net.pcap"))
        self.assertIn("cwd files: ['big.bin', 'small.bin']", o.output)
        folder = pathlib.Path(o.output.split("fixture at ", 1)[1].split()[0])
        self.assertEqual(folder.parent, self.kit.resolve() / "build" / "tmp", "inside the tree's TMPDIR")
        self.assertFalse(folder.exists(), "the fixture goes with the run")

    def test_an_old_pcap_does_not_count(self):
        stale = runner.pcap_path(self.kit, self.net_test())
        stale.parent.mkdir(parents=True)
        stale.write_bytes(pcap_bytes([b"GET /big.bin HTTP/1.1"]))
        o = runner.run_one(self.net_test(guest_args="no-pcap", expect_pcap=["GET /"]), self.kit, "sol")
        self.assertFalse(o.passed)
        self.assertEqual(o.reason, f"no pcap was written ({stale})")

    def test_wrong_sum(self):
        o = runner.run_one(self.net_test(expect=["sha256 small.bin {sha256:big.bin}"]), self.kit, "sol")
        self.assertFalse(o.passed)
        self.assertRegex(o.reason, r"^output lacks 'sha256 small.bin [0-9a-f]{64}' "
                                   r"\(expect 'sha256 small.bin \{sha256:big.bin\}'\)$")

    def test_pcap_without_the_nonce(self):
        o = runner.run_one(self.net_test(guest_args="no-nonce"), self.kit, "sol")
        self.assertFalse(o.passed)
        self.assertRegex(o.reason, r"^no frame of the pcap \(1 frames, .*minivmm-linux-net.pcap\) contains "
                                   r"'GET /big.bin\?nonce=[0-9a-f]{8} HTTP/1.'$")

    def test_no_network_is_nic_none(self):
        o = runner.run_one(self.net_test(net="", expect=["no network: -nic none"], expect_pcap=[]), self.kit, "sol")
        self.assertTrue(o.passed, o.reason + "\n" + o.output)
        self.assertEqual(o.pcap, "")


if __name__ == "__main__":
    unittest.main()
