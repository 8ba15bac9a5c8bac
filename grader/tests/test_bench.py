"""Tests of grader/bench.py's Linux table pieces: phase markers timed from a fake output stream,
medians and ratios, minivmm's exit-statistics line, and failed runs (no QEMU is started)."""
import argparse
import contextlib
import io
import unittest

from grader import bench, proc

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


if __name__ == "__main__":
    unittest.main()


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
