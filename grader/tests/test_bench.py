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
                mock.patch.object(bench, "linux_table", lambda a, p: calls.append("linux") or 0), \
                mock.patch.object(bench, "icount_table", lambda a: calls.append("icount") or 0), \
                mock.patch.object(bench, "linux_ready", lambda: ""), \
                mock.patch.object(bench, "net_table", lambda a, p: calls.append("net") or 1), \
                mock.patch.object(bench.pathlib.Path, "is_file", lambda self: True):
            self.assertEqual(bench.main(["--no-net"]), 0)
            self.assertEqual(calls, ["tiny", "linux", "icount"])
            calls.clear()
            self.assertEqual(bench.main(["--net-only"]), 1, "an invalid network run fails the bench")
            self.assertEqual(calls, ["net"])
            calls.clear()
            self.assertEqual(bench.main([]), 1)
            self.assertEqual(calls, ["tiny", "linux", "icount", "net"])

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


if __name__ == "__main__":
    unittest.main()
