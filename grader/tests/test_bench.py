"""Tests of grader/bench.py's Linux table pieces: phase markers timed from a fake output stream,
medians and ratios, minivmm's exit-statistics line, and failed runs; the network part's
parsing, its invalid runs, exits per frame and its command lines (no QEMU is started)."""
import argparse
import contextlib
import hashlib
import io
import pathlib
import tempfile
import unittest
from unittest import mock

from grader import bench, netfix, proc

EXITS_LINE = ("minivmm: 119362 exits: WFI/WFE 20, CP15_32 89854, CP14_32 4, HVC 7, DABT_LOW 23925, "
              "IRQ 5552\n")


def stream(*lines):
    """(seconds, bytes) reads: each line arrives whole at its own time."""
    return [(t, text.encode()) for t, text in lines]


def boot_and_fork(end_fork=True):
    """A run's output: kernel noise, the banner at 4 s, fork from 4.5 to 7.25 s."""
    chunks = stream((1.0, "[    0.000000] Booting Linux\r\n"),
                    (4.0, "=== minivmm Linux guest: Linux 6.1.0-50-armmp on armv7l ===\r\n"),
                    (4.5, "minivmm-bench: begin fork\r\n"))
    if end_fork:
        chunks += stream((7.25, "minivmm-bench: end fork\r\n"))
    return chunks


def result(output="", status=0, seconds=20.0):
    return proc.Result(status, output, 0, seconds)


class MarkerTiming(unittest.TestCase):
    def test_phases_timed_from_begin_to_end(self):
        times = bench.phase_times(bench.marks(boot_and_fork()), ("boot", "fork"))
        self.assertEqual(times, {"boot": 4.0, "fork": 2.75})

    def test_a_line_is_timed_when_its_newline_arrives(self):
        # The marker comes in three reads; only the last one completes the line.
        chunks = [(1.0, b"minivmm-bench: beg"), (2.0, b"in cpu\r"), (3.0, b"\nminivmm-bench: end cpu"),
                  (5.5, b"\r\nmore")]
        self.assertEqual(bench.line_times(chunks), [(3.0, "minivmm-bench: begin cpu"),
                                                    (5.5, "minivmm-bench: end cpu")])
        self.assertEqual(bench.phase_times(bench.marks(chunks), ("cpu",)), {"cpu": 2.5})

    def test_marker_inside_a_longer_line_still_counts(self):
        m = bench.marks(stream((2.0, "x minivmm-bench: begin md5\n"), (3.0, "minivmm-bench: end md5\n")))
        self.assertEqual(bench.phase_times(m, ("md5",)), {"md5": 1.0})

    def test_missing_end_marker_is_an_error_not_zero(self):
        got = bench.phase_times(bench.marks(boot_and_fork(end_fork=False)), ("boot", "fork"))
        self.assertEqual(got, "no end marker for fork")

    def test_missing_banner_is_an_error(self):
        got = bench.phase_times(bench.marks(stream((1.0, "Kernel panic\n"))), ("boot",))
        self.assertEqual(got, "no init banner")

    def test_where_an_interrupted_run_was(self):
        self.assertEqual(bench.current_phase(bench.marks(stream((1.0, "booting\n")))), "boot")
        self.assertEqual(bench.current_phase(bench.marks(boot_and_fork(end_fork=False))), "fork")
        self.assertEqual(bench.current_phase(bench.marks(boot_and_fork())), "after fork")


class ExitStatistics(unittest.TestCase):
    def test_classes_and_total(self):
        total, classes = bench.parse_exits("minivmm: guest called PSCI SYSTEM_OFF\n" + EXITS_LINE +
                                           "minivmm: MMIO: 23925 by syndrome, 0 decoded, 0 refused\n")
        self.assertEqual(total, 119362)
        self.assertEqual(classes, {"WFI/WFE": 20, "CP15_32": 89854, "CP14_32": 4, "HVC": 7,
                                   "DABT_LOW": 23925, "IRQ": 5552})

    def test_no_statistics_line(self):
        self.assertIsNone(bench.parse_exits("minivmm: guest called PSCI SYSTEM_OFF\n"))

    def test_no_exits_at_all(self):
        self.assertEqual(bench.parse_exits("minivmm: 0 exits:\n"), (0, {}))


class Statistics(unittest.TestCase):
    def test_median_and_range(self):
        self.assertEqual(bench.spread([3.0, 1.0, 2.0, 10.0, 2.5]), (2.5, 1.0, 10.0))
        self.assertIsNone(bench.spread([]))

    def test_ratio_of_medians_and_range_of_pairs(self):
        med, low, high = bench.ratio([2.0, 4.0, 3.0], [2.2, 4.0, 3.6])
        self.assertAlmostEqual(med, 3.6 / 3.0)
        self.assertAlmostEqual(low, 1.0)
        self.assertAlmostEqual(high, 1.2)

    def test_no_ratio_without_runs(self):
        self.assertIsNone(bench.ratio([], [1.0]))


class Runs(unittest.TestCase):
    def test_good_minivmm_run(self):
        run = bench.judge(result(EXITS_LINE, seconds=21.5), boot_and_fork(), ("boot", "fork"), vmm=True)
        self.assertEqual(run.error, "")
        self.assertEqual(run.times, {"boot": 4.0, "fork": 2.75, "whole run": 21.5})
        self.assertEqual(run.exits[0], 119362)

    def test_lost_end_marker_fails_the_run(self):
        run = bench.judge(result(EXITS_LINE), boot_and_fork(end_fork=False), ("boot", "fork"), vmm=True)
        self.assertEqual(run.error, "no end marker for fork")
        self.assertEqual(run.times, {})

    def test_timeout_and_status_and_missing_statistics_fail(self):
        self.assertIn("timeout", bench.judge(result(status=None), boot_and_fork(), ("fork",), False).error)
        self.assertIn("status 1", bench.judge(result(status=1), boot_and_fork(), ("fork",), False).error)
        self.assertIn("statistics", bench.judge(result(""), boot_and_fork(), ("fork",), True).error)

    def test_failed_runs_stay_out_of_the_table(self):
        good = bench.LinuxRun({"fork": 2.0, "whole run": 20.0})
        slow = bench.LinuxRun({"fork": 3.0, "whole run": 30.0})
        failed = bench.LinuxRun({}, "no end marker for fork")
        rows = bench.time_rows([good, good, good], [slow, failed, slow], ("fork",))
        fork = next(r for r in rows if r.startswith("fork"))
        self.assertIn("2.00 [2.00-2.00]", fork)
        self.assertIn("3.00 [3.00-3.00]", fork)
        self.assertIn("1.500x", fork)
        self.assertNotIn("0.00", fork)

    def test_every_pair_failed(self):
        rows = bench.time_rows([bench.LinuxRun({}, "no init banner")], [bench.LinuxRun({}, "x")], ("boot",))
        self.assertIn("failed", rows[1])


class Options(unittest.TestCase):
    def test_phases_keep_their_order(self):
        self.assertEqual(bench.phase_list("md5,boot"), ("boot", "md5"))

    def test_unknown_phase(self):
        with self.assertRaises(argparse.ArgumentTypeError):
            bench.phase_list("boot,disk")

    def test_guest_gets_the_phases_without_commas(self):
        native, under = bench.linux_argvs("v.elf", "arm", ("fork", "md5"), "idregs=native")
        self.assertIn("console=ttyAMA0 minivmm.bench=fork+md5", native)
        config = under[under.index("-semihosting-config") + 1]
        self.assertIn("arg=idregs=native", config)
        self.assertIn("arg=minivmm.bench=fork+md5", config)

    def test_icount_runs_both_sides_under_icount(self):
        for icount in (False, True):
            native, under = bench.linux_argvs("v.elf", "arm", ("md5",), "", icount=icount)
            self.assertEqual("-icount" in native, icount)
            self.assertEqual("-icount" in under, icount)

    def test_bad_vmm_options_are_refused(self):
        with contextlib.redirect_stderr(io.StringIO()) as err:
            self.assertEqual(bench.main(["--linux-only", "--linux-vmm-opts", "a=1,2"]), 2)
        self.assertIn("cannot be empty or contain ','", err.getvalue())



class GuestClock(unittest.TestCase):
    OUT = ("[    1.239369] Run /init as init process\n"
           "minivmm-bench: begin fork (guest clock 3.10 s)\n"
           "minivmm-bench: end fork (guest clock 3.28 s)\n"
           "minivmm-bench: begin md5 (guest clock 4.00 s)\n")

    def test_phases_and_boot(self):
        t = bench.guest_times(self.OUT, ("boot", "fork"))
        self.assertAlmostEqual(t["boot"], 1.239369)
        self.assertAlmostEqual(t["fork"], 0.18)

    def test_missing_end_is_a_failure_not_zero(self):
        self.assertIn("md5", bench.guest_times(self.OUT, ("fork", "md5")))

    def test_missing_init_line(self):
        self.assertIn("/init", bench.guest_times(self.OUT.split("\n", 1)[1], ("boot",)))


SUM = "ab" * 32


def net_output(vmm=True, sha=SUM, size=8388608, wget=(7.12, 18.32), steps=("ping", "wget"), exits=2406832,
               dabt=2395778, sent=1597, received=5774, extra=""):
    """A network run's output, as the console's minivmm.benchnet branch and minivmm print it."""
    out = ("=== minivmm Linux guest: Linux 6.1.0-50-armmp on armv7l ===\n"
           "minivmm-bench: tcp_rmem 4096\t16384\t16384\n")
    if "ping" in steps:
        out += ("minivmm-bench: begin ping (guest clock 3.15 s)\nPING 10.0.2.2 (10.0.2.2): 56 data bytes\n"
                "--- 10.0.2.2 ping statistics ---\n20 packets transmitted, 19 packets received, 5% packet loss\n"
                "round-trip min/avg/max = 1.660/3.617/20.540 ms\nminivmm-bench: end ping (guest clock 7.10 s)\n")
    if "wget" in steps:
        out += (f"minivmm-bench: begin wget (guest clock {wget[0]:.2f} s)\n{extra}"
                f"minivmm-bench: end wget (guest clock {wget[1]:.2f} s)\n"
                f"sha256 bench.bin {sha} ({size} bytes)\n")
    if vmm:
        out += (f"minivmm: guest called PSCI SYSTEM_OFF\nminivmm: {exits} exits: WFI/WFE 196, HVC 7, "
                f"DABT_LOW {dabt}, IRQ {exits - dabt - 203}\n"
                f"minivmm: ne2000: {sent} frames sent, {received} received, 3 dropped (0 stopped, 0 filtered, "
                "3 missed, 0 bad length), 0 not sent\n"
                f"minivmm: net: sent {sent} frames (96877 bytes), received {received} frames (8701523 bytes)\n"
                "minivmm: net: dropped: none\n")
    return out


def net_run(output, vmm=True, status=0, steps=bench.NET_STEPS):
    return bench.judge_net(result(output, status), steps, SUM, vmm)


class NetworkRuns(unittest.TestCase):
    def test_good_minivmm_run(self):
        r = net_run(net_output())
        self.assertEqual(r.error, "")
        self.assertAlmostEqual(r.mbps, 8388608 / 1e6 / 11.2)
        self.assertAlmostEqual(r.ping_ms, 3.617)
        self.assertEqual(r.lost, 1)
        self.assertEqual(r.exits[0], 2406832)
        self.assertEqual(r.frames, 1597 + 5774)
        self.assertEqual(r.drops, 3)

    def test_good_native_run_needs_no_minivmm_statistics(self):
        r = net_run(net_output(vmm=False), vmm=False)
        self.assertEqual(r.error, "")
        self.assertIsNone(r.exits)

    def test_wrong_sum_or_size_voids_the_run(self):
        for out in (net_output(sha="cd" * 32), net_output(size=4096), net_output(sha="", size="")):
            r = net_run(out)
            self.assertIn("wrong sha256", r.error)
            self.assertIsNone(r.mbps)
        self.assertIn("no sha256", net_run(net_output().replace("sha256 bench.bin", "sum")).error)

    def test_guest_failure_and_missing_marker_void_the_run(self):
        r = net_run(net_output(extra="minivmm-bench: FAIL wget bench.bin from 10.0.2.100\n"))
        self.assertIn("the guest reported", r.error)
        self.assertIn("wget bench.bin", r.error)
        r = net_run(net_output().replace("minivmm-bench: end wget", "x"))
        self.assertIn("wget", r.error)

    def test_qemu_trouble_and_missing_statistics(self):
        self.assertIn("timeout", net_run(net_output(), status=None).error)
        self.assertIn("status 3", net_run(net_output(), status=3).error)
        self.assertIn("network statistics", net_run(net_output().replace("minivmm: net: sent", "x")).error)
        self.assertIn("exit statistics", net_run(net_output().replace(" exits:", " x")).error)
        self.assertIn("ping summary", net_run(net_output().replace("round-trip", "rt")).error)

    def test_baseline_run_has_no_transfer(self):
        r = net_run(net_output(steps=("ping",), exits=33480, dabt=31682, sent=29, received=23), steps=("ping",))
        self.assertEqual(r.error, "")
        self.assertIsNone(r.mbps)
        self.assertEqual(r.frames, 52)

    def test_exits_per_frame_over_the_baseline(self):
        run = net_run(net_output())
        base = net_run(net_output(steps=("ping",), exits=33480, dabt=31682, sent=29, received=23), steps=("ping",))
        total, classes = bench.per_frame(run, base)
        frames = 1597 + 5774 - 52
        self.assertAlmostEqual(total, (2406832 - 33480) / frames)
        self.assertAlmostEqual(classes["DABT_LOW"], (2395778 - 31682) / frames)
        self.assertAlmostEqual(classes["HVC"], 0)
        self.assertIsNone(bench.per_frame(run, bench.NetRun(error="stopped at the timeout")))
        self.assertIsNone(bench.per_frame(run, None))


class NetworkTable(unittest.TestCase):
    BASE = bench.NetRun(ping_ms=3.0, exits=(30000, {"DABT_LOW": 29000, "IRQ": 1000}), frames=50)

    def vmm(self, mbps, ping, exits=1030000):
        return bench.NetRun(mbps=mbps, ping_ms=ping, exits=(exits, {"DABT_LOW": exits - 2000, "IRQ": 2000}),
                            frames=10050, drops=0)

    def test_ratios_goal_and_exits_per_frame(self):
        native = [bench.NetRun(mbps=8.0, ping_ms=1.0), bench.NetRun(mbps=6.0, ping_ms=1.0)]
        rows = bench.net_rows(native, [self.vmm(4.0, 2.0), self.vmm(6.0, 3.0)], self.BASE)
        mb = next(r for r in rows if r.startswith("TCP MB/s"))
        self.assertIn("0.714x", mb)  # 5.0 over 7.0
        self.assertIn("[0.50-1.00]", mb)
        self.assertIn(">=0.8", mb)
        ping = next(r for r in rows if r.startswith("ping avg ms"))
        self.assertIn("2.500x", ping)
        per = next(r for r in rows if r.startswith("exits/frame"))
        # (1,030,000 - 30,000) / (10,050 - 50); DABT_LOW (1,028,000 - 29,000) / 10,000
        self.assertIn("100.0 [100.0-100.0]", per)
        self.assertTrue(any(r.strip().startswith("DABT_LOW") and r.endswith("99.9") for r in rows))

    def test_invalid_runs_are_not_averaged(self):
        native = [bench.NetRun(mbps=8.0, ping_ms=1.0), bench.NetRun(mbps=8.0, ping_ms=1.0)]
        vmm = [self.vmm(4.0, 2.0), bench.NetRun(error="wrong sha256 of bench.bin")]
        mb = next(r for r in bench.net_rows(native, vmm, self.BASE) if r.startswith("TCP MB/s"))
        self.assertIn("4.000 [4.000-4.000]", mb)
        self.assertIn("0.500x", mb)

    def test_failed_baseline_says_so(self):
        rows = bench.net_rows([bench.NetRun(mbps=8.0, ping_ms=1.0)], [self.vmm(4.0, 2.0)],
                              bench.NetRun(error="no ping summary"))
        per = next(r for r in rows if r.startswith("exits/frame"))
        self.assertIn("no ping summary", per)

    def test_every_run_invalid(self):
        rows = bench.net_rows([bench.NetRun(error="x")], [bench.NetRun(error="y")], self.BASE)
        self.assertIn("failed", rows[1])


class NetworkCommands(unittest.TestCase):
    def test_both_sides_real_time_same_kernel_and_network(self):
        native, under = bench.net_argvs("v.elf", "arm", "idregs=native", pathlib.Path("/k/fx"), bench.NET_STEPS,
                                        "1f2e3d4c", bench.NET_RMEM)
        for argv in (native, under):
            self.assertNotIn("-icount", argv)
            backend = argv[argv.index("-netdev") + 1]
            self.assertIn("restrict=on", backend)
            self.assertIn("guestfwd=tcp:10.0.2.100:80-cmd:", backend)
            self.assertIn("/k/fx/http", backend)
        self.assertEqual(native[native.index("-device") + 1], "ne2k_pci,netdev=n0")
        self.assertIn("highmem=off", native[native.index("-M") + 1])
        self.assertIn("console=ttyAMA0 minivmm.benchnet=ping+wget nonce=1f2e3d4c tcp_rmem=4096+16384+16384",
                      native)
        self.assertEqual(under[under.index("-device") + 1], "virtio-net-device,netdev=n0")
        config = under[under.index("-semihosting-config") + 1]
        for word in ("idregs=native", "mem=128", "initrd=build/linux/initramfs.cpio", "minivmm.benchnet=ping+wget",
                     "tcp_rmem=4096+16384+16384"):
            self.assertIn(f"arg={word}", config)

    def test_kernel_window_leaves_tcp_rmem_out(self):
        self.assertNotIn("tcp_rmem", bench.net_cmdline(("ping",), "n", ""))

    def test_tcp_rmem_option(self):
        self.assertEqual(bench.tcp_rmem("4096,8192,16384"), "4096 8192 16384")
        self.assertEqual(bench.tcp_rmem("kernel"), "")
        for bad in ("4096,8192", "a,b,c", "0,1,2"):
            with self.assertRaises(argparse.ArgumentTypeError):
                bench.tcp_rmem(bad)

    def test_fixture_serves_the_bench_file_only(self):
        with tempfile.TemporaryDirectory() as tmp, netfix.Fixture(tmp, "n1", files=netfix.BENCH_FILES) as fix:
            data = (fix.path / "http" / bench.NET_FILE).read_bytes()
            self.assertEqual(len(data), bench.NET_BYTES)
            self.assertGreaterEqual(bench.NET_BYTES, 8 << 20)
            self.assertEqual(fix.sums[bench.NET_FILE], hashlib.sha256(data).hexdigest())
            self.assertTrue((fix.path / "tftp").is_dir(), "slirp's tftp= folder exists, empty")
            self.assertFalse((fix.path / "http" / "big.bin").exists())


class NetworkSkips(unittest.TestCase):
    def test_without_linux_the_part_is_skipped_with_a_message(self):
        args = argparse.Namespace(net_tcp_rmem=bench.NET_RMEM)
        with mock.patch.object(bench, "LINUX", ("/nonexistent/zImage", "/nonexistent/initramfs.cpio")), \
                contextlib.redirect_stdout(io.StringIO()) as out:
            self.assertEqual(bench.net_table(args, bench.Progress()), 0)
        self.assertIn("Linux network: skipped: run 'make linux' first", out.getvalue())

    def test_initramfs_without_the_branch(self):
        with tempfile.TemporaryDirectory() as tmp:
            kernel, initrd = pathlib.Path(tmp, "zImage"), pathlib.Path(tmp, "initramfs.cpio")
            kernel.write_bytes(b"k")
            initrd.write_bytes(b"minivmm-bench: begin lib/modules/ne2k-pci.ko")
            with mock.patch.object(bench, "LINUX", (str(kernel), str(initrd))):
                self.assertIn("no network workload", bench.net_ready())
                initrd.write_bytes(b"minivmm.benchnet lib/modules/ne2k-pci.ko")
                self.assertEqual(bench.net_ready(), "")

    def test_no_net_skips_and_net_only_runs_only_it(self):
        calls = []
        with mock.patch.object(bench, "tinykernel_table", lambda a: calls.append("tiny") or 0), \
                mock.patch.object(bench, "tinykernel_net_table", lambda a: 0), \
                mock.patch.object(bench, "linux_table", lambda a, p: calls.append("linux") or 0), \
                mock.patch.object(bench, "icount_table", lambda a: calls.append("icount") or 0), \
                mock.patch.object(bench, "linux_ready", lambda: ""), \
                mock.patch.object(bench, "net_table", lambda a, p: calls.append("net") or 1), \
                mock.patch.object(bench, "audio_part", lambda a, p, tiny, linux: calls.append("audio") or 0), \
                mock.patch.object(bench.pathlib.Path, "is_file", lambda self: True):
            self.assertEqual(bench.main(["--no-net"]), 0)
            self.assertEqual(calls, ["tiny", "linux", "icount", "audio"])
            calls.clear()
            self.assertEqual(bench.main(["--net-only"]), 1, "an invalid network run fails the bench")
            self.assertEqual(calls, ["net"])
            calls.clear()
            self.assertEqual(bench.main([]), 1)
            self.assertEqual(calls, ["tiny", "linux", "icount", "net", "audio"])

    def test_no_net_with_net_only_is_refused(self):
        with contextlib.redirect_stderr(io.StringIO()), self.assertRaises(SystemExit):
            bench.main(["--no-net", "--net-only"])


class TinykernelOnly(unittest.TestCase):
    def test_conflicts(self):
        for other in ("--linux-only", "--net-only"):
            with self.assertRaises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
                bench.main(["--tinykernel-only", other])


class TinykernelNet(unittest.TestCase):
    """bench-net's lines: instructions per frame (x 100) and frames per second, apart from
    the exit-cost lines of the bench program (which have one number)."""

    def test_parse(self):
        out = "BENCH call 1200\nBENCH net-tx 33407174 2993\r\nBENCH net-rx 27226413 3672\nBENCH net-tx 1\n"
        self.assertEqual(bench.parse_net(out.replace("\r", "")),
                         {"net-tx": (334071.74, 2993), "net-rx": (272264.13, 3672)})
        self.assertEqual(bench.parse(out.replace("\r", ""))["call"], 12.0)
        self.assertNotIn("net-rx", bench.parse(out))
        self.assertEqual(bench.parse_net("MVTEST bench-net FAIL no card"), {})


TONE_STATS = ("minivmm: guest powered off with code 0\n"
              "minivmm: {exits} exits: HVC 1, DABT_LOW {dabt}, IRQ 8\n"
              "minivmm:   pl011        09000000-09000fff: {pr} reads, {pw} writes\n"
              "minivmm: hda: 21 verbs (1 unknown, 0 to no codec), {played} bytes played, 0 muted; refused: 0 ring\n")


def tone_output(exits=353187, pr=434, pw=440, played=96128, lpib=352140, passed=True):
    """lab6-tone's output under minivmm (or, with lpib None, hello's), as printed."""
    out = "tinykernel: running 'lab6-tone' (lab 6: 0.5 s of a 440 Hz tone)\n"
    if lpib is not None:
        out += (f"lab6-tone: 440 Hz: frames 0-24031 played, 4 entries of 1024 frames (CBL 16384, 5 wraps), "
                f"LPIB read {lpib} times, moved 516 times, max 16324; position buffer max 16324\n")
        out += "MVTEST lab6-tone PASS 02d662657d970bd4\n" if passed else "MVTEST lab6-tone FAIL x\n"
    return out + TONE_STATS.format(exits=exits, dabt=exits - 9, pr=pr, pw=pw, played=played)


class FakeWatch:
    def __init__(self, span=(0.507, 0.51)):
        self._span = span

    def span(self, first, last):
        return self._span


class ToneAudio(unittest.TestCase):
    def tone(self, **kw):
        return bench.judge_tone(result(tone_output(**kw), seconds=0.57), FakeWatch(), True, 0.55,
                                {"start": 1_000_000, "end": 501_000_000})

    def hello(self):
        return bench.judge_tone(result(tone_output(exits=407, pr=200, pw=206, played=0, lpib=None)),
                                FakeWatch(None), False, 0.05)

    def test_parse_a_tone_run(self):
        r = self.tone()
        self.assertEqual(r.error, "")
        self.assertEqual(r.exits[0], 353187)
        self.assertEqual((r.console, r.played, r.lpib, r.instructions), (874, 96128, 352140, 500_000_000))
        self.assertEqual((r.play_wall, r.play_cpu, r.cpu), (0.507, 0.51, 0.55))

    def test_per_second_of_audio(self):
        f = bench.tone_figures(self.tone(), self.hello())
        audio = 96128 / 192000
        playback = (353187 - 407) - (874 - 406)  # the console's exits of both left out
        self.assertAlmostEqual(f["audio s"], audio)
        self.assertEqual(f["exits"], playback)
        self.assertAlmostEqual(f["exits/s"], playback / audio)
        self.assertAlmostEqual(f["lpib/s"], 352140 / audio)
        self.assertAlmostEqual(f["other/s"], (playback - 352140) / audio)
        self.assertAlmostEqual(f["instr/s"], 500_000_000 / audio)
        self.assertAlmostEqual(f["instr/exit"], 500_000_000 / playback)

    def test_the_final_statistics_count_not_an_earlier_escape(self):
        out = TONE_STATS.format(exits=5, dabt=1, pr=1, pw=1, played=0) + tone_output()
        self.assertEqual(bench.hda_played(out), 96128)
        self.assertEqual(bench.pl011_accesses(out), 874)
        self.assertIsNone(bench.hda_played("minivmm: 4 exits: HVC 4\n"))

    def test_failures(self):
        self.assertIn("did not pass", self.tone(passed=False).error)
        self.assertIn("played nothing", self.tone(played=0).error)
        r = bench.judge_tone(result(tone_output()), FakeWatch(), True, 0.5, {"start": 1})
        self.assertIn("icount", r.error)
        r = bench.judge_tone(result(tone_output().replace("minivmm: hda", "x")), FakeWatch(), True, 0.5, None)
        self.assertIn("HDA statistics", r.error)
        self.assertIn("status 2", bench.judge_tone(result(tone_output(), status=2), FakeWatch(), True).error)

    def test_table_and_goal(self):
        fast = bench.ToneRun(played=96000, play_wall=0.51, play_cpu=0.5, cpu=0.5, wall=0.6)
        slow = bench.ToneRun(played=96000, play_wall=0.55, play_cpu=0.5, cpu=0.5, wall=0.6)
        bad = bench.ToneRun(error="lab6-tone did not pass")
        rows = bench.tone_rows(bench.tone_figures(self.tone(), self.hello()), [fast, slow, fast, bad])
        over = next(r for r in rows if "over the audio played" in r)
        self.assertIn("1.020 [1.020-1.100]", over)  # 0.51 / 0.5, 0.55 / 0.5; the failed run left out
        self.assertIn("<=1.05", over)
        self.assertIn("3 runs", "\n".join(rows))
        self.assertIn("met (1.020x", bench.tone_goal([fast, slow, fast]))
        self.assertIn("NOT met (1.100x", bench.tone_goal([slow, slow, fast]))
        self.assertIn("no valid run", bench.tone_goal([bad]))


def sound_chunks(start=4.725, end=5.892, stats=((4.74, 30000), (5.90, 31400)), fail=""):
    """A Linux sound run's timed output with two 'stats' escapes' statistics."""
    lines = [(3.9, "minivmm-sound: begin (guest clock 2.01 s)"),
             (start, "Playing WAVE '/usr/share/sounds/tone.wav' : Signed 16 bit Little Endian, Rate 48000 Hz, Stereo")]
    for t, n in stats:
        lines += [(t, "minivmm> stats"), (t, f"minivmm: statistics at exit {n}:"),
                  (t, f"minivmm: {n} exits: WFI/WFE {n // 2}, DABT_LOW {n - n // 2 - 100}, IRQ 100"),
                  (t, "minivmm: hda: 5 verbs (0 unknown, 0 to no codec), 0 bytes played, 0 muted")]
    lines += [(end, "minivmm-sound: aplay done (guest clock 4.00 s)")]
    if fail:
        lines.append((end, f"minivmm-sound: FAIL {fail}"))
    lines += [(8.0, "minivmm: 32191 exits: WFI/WFE 1100, DABT_LOW 29490, IRQ 1601"),
              (8.0, "minivmm: hda: 59 verbs (1 unknown, 0 to no codec), 216012 bytes played, 0 muted")]
    return stream(*((t, line + "\r\n") for t, line in lines))


def sound_run(chunks, status=0):
    """judge_sound on chunks, through a real Watch fed as proc.run would."""
    progress = bench.Progress()
    watch = bench.Watch({"start": (bench.APLAY_START, None), "end": (bench.APLAY_END, None)}, progress)
    watch.pid = -1  # no process: no CPU readings
    for t, chunk in chunks:
        watch.output(chunk, t)
    text = b"".join(c for _, c in chunks).decode().replace("\r\n", "\n")
    return bench.judge_sound(result(text, status), watch)


class LinuxSound(unittest.TestCase):
    def test_aplay_timed_by_its_lines(self):
        r = sound_run(sound_chunks())
        self.assertEqual(r.error, "")
        self.assertAlmostEqual(r.aplay, 5.892 - 4.725)
        self.assertIsNone(r.cpu)
        self.assertEqual(r.played, 216012, "the final statistics, not the escape's")

    def test_exits_between_the_two_escapes(self):
        r = sound_run(sound_chunks())
        self.assertEqual(r.exits[0], 1400)
        self.assertEqual(r.exits[1]["WFI/WFE"], 15700 - 15000)
        self.assertEqual(r.exits[1]["IRQ"], 0)
        self.assertAlmostEqual(r.stats_s, 5.90 - 4.74)

    def test_invalid_runs(self):
        self.assertIn("aplay tone.wav", sound_run(sound_chunks(fail="aplay tone.wav")).error)
        self.assertIn("status 1", sound_run(sound_chunks(), status=1).error)
        self.assertIn("timeout", sound_run(sound_chunks(), status=None).error)
        self.assertIn("'stats' escapes", sound_run(sound_chunks(stats=((4.74, 30000),))).error)
        chunks = [c for c in sound_chunks() if b"aplay done" not in c[1]]
        self.assertIn("aplay done", sound_run(chunks).error)

    def test_table_ratio_and_goal(self):
        def run(aplay):
            return bench.SoundRun(aplay=aplay, cpu=aplay / 10, exits=(1200, {"WFI/WFE": 900, "IRQ": 0}),
                                  stats_s=1.2, played=216000)
        runs = [run(1.10), run(1.21), run(1.155), bench.SoundRun(error="no 'Playing WAVE' line")]
        rows = bench.sound_rows(runs, 1.1)
        over = next(r for r in rows if "over the WAV" in r)
        self.assertIn("1.050 [1.000-1.100]", over)
        self.assertIn("<=1.05", over)
        self.assertIn("1.125 [1.125-1.125]", next(r for r in rows if r.startswith("played s")))
        self.assertIn("1000 [1000-1000]", next(r for r in rows if r.startswith("exits/s")))
        self.assertIn("0.10", next(r for r in rows if "CPU share" in r))
        self.assertTrue(any(r.split() == ["WFI/WFE", "750"] for r in rows))
        self.assertFalse(any(r.split()[:1] == ["IRQ"] for r in rows), "a class with no exits is left out")
        self.assertIn("met (1.050x", bench.sound_goal(runs, 1.1))
        self.assertIn("NOT met", bench.sound_goal([run(1.2)], 1.1))


class SoundFiles(unittest.TestCase):
    @staticmethod
    def cpio(members):
        out = b""
        for name, data in members + [("TRAILER!!!", b"")]:
            n = name.encode() + b"\0"
            out += b"070701" + b"%08x" * 13 % (0, 0o100644, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(n), 0) + n
            out += b"\0" * (-len(out) % 4) + data + b"\0" * (-len(data) % 4)
        return out

    @staticmethod
    def wav(frames):
        import wave
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(2)
            w.setframerate(48000)
            w.writeframes(bytes(4 * frames))
        return buf.getvalue()

    def test_member_of_an_initramfs(self):
        data = self.cpio([("init", b"#!/bin/sh\n"), ("usr/share/sounds/tone.wav", self.wav(52800))])
        self.assertEqual(bench.cpio_member(data, "init"), b"#!/bin/sh\n")
        self.assertAlmostEqual(bench.wav_seconds(bench.cpio_member(data, bench.SOUND_WAV)), 1.1)
        self.assertIsNone(bench.cpio_member(data, "usr/bin/aplay"))
        self.assertIsNone(bench.wav_seconds(b"not a wav"))

    def test_skips_with_a_reason(self):
        with tempfile.TemporaryDirectory() as tmp:
            vmm, guest = pathlib.Path(tmp, "vmm.elf"), pathlib.Path(tmp, "tk.elf")
            kernel, initrd = pathlib.Path(tmp, "zImage"), pathlib.Path(tmp, "initramfs.cpio")
            vmm.write_bytes(b"minivmm: 3 exits")
            guest.write_bytes(b"lab6-tone")
            kernel.write_bytes(b"k")
            initrd.write_bytes(self.cpio([("init", b"minivmm.sound snd-hda-intel")]))
            self.assertIn("no HD Audio", bench.tone_ready(vmm, guest))
            with mock.patch.object(bench, "LINUX", (str(kernel), str(initrd))):
                self.assertIn("no HD Audio", bench.sound_ready(vmm)[0])
                vmm.write_bytes(b"minivmm: hda: %llu verbs")
                self.assertEqual(bench.tone_ready(vmm, guest), "")
                self.assertIn("no sound files", bench.sound_ready(vmm)[0])
                initrd.write_bytes(self.cpio([("init", b"minivmm.sound snd-hda-intel"),
                                              ("usr/share/sounds/tone.wav", self.wav(52800))]))
                why, seconds = bench.sound_ready(vmm)
                self.assertEqual(why, "")
                self.assertAlmostEqual(seconds, 1.1)
            args = argparse.Namespace(vmm=str(vmm), guest=str(guest), runs=3, linux_vmm_opts="")
            with mock.patch.object(bench, "LINUX", ("/nonexistent/zImage", "/nonexistent/initramfs.cpio")), \
                    contextlib.redirect_stdout(io.StringIO()) as out:
                self.assertEqual(bench.linux_sound_table(args, bench.Progress()), 0)
            self.assertIn("HD Audio, Linux: skipped: run 'make linux' first", out.getvalue())

    def test_audio_options(self):
        calls = []
        with mock.patch.object(bench, "audio_part", lambda a, p, tiny, linux: calls.append((tiny, linux)) or 0), \
                mock.patch.object(bench, "tinykernel_table", lambda a: calls.append("tiny") or 0), \
                mock.patch.object(bench, "tinykernel_net_table", lambda a: calls.append("tiny-net") or 0), \
                mock.patch.object(bench.pathlib.Path, "is_file", lambda self: True):
            self.assertEqual(bench.main(["--audio-only"]), 0)
            self.assertEqual(bench.main(["--audio-only", "--linux-only"]), 0)
            self.assertEqual(bench.main(["--audio-only", "--tinykernel-only"]), 0)
            self.assertEqual(calls, [(True, True), (False, True), (True, False)])
            calls.clear()
            self.assertEqual(bench.main(["--tinykernel-only", "--no-net"]), 0)
            self.assertEqual(calls, ["tiny", (True, False)])
            calls.clear()
            self.assertEqual(bench.main(["--tinykernel-only", "--no-audio"]), 0)
            self.assertEqual(calls, ["tiny", "tiny-net"])
        for bad in (["--no-audio", "--audio-only"], ["--audio-only", "--net-only"]):
            with self.assertRaises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
                bench.main(bad)


if __name__ == "__main__":
    unittest.main()
