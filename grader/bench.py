"""`make bench`: what minivmm costs. First the cost of each exit kind in instructions, measured
side by side in one run under -icount; then Debian's Linux running a workload (boot, fork,
cpu, md5) directly on QEMU and under minivmm, in wall time, with minivmm's exits.

tinykernel's bench program times each operation with the guest's virtual counter;
with -icount shift=0 the virtual clock advances 1 ns per executed instruction (guest
and VMM alike), so the figures are instruction counts, identical from run to run.
The Linux phases are timed on the host, from the arrival of each phase's begin line
to its end line (what a user feels), in real time: they vary from run to run, so the
runs alternate and the table shows medians with their range.

The network part boots the same kernel and initramfs on an isolated user network twice
per round: under minivmm (its NE2000, behind QEMU's virtio-net-device) and directly on
QEMU's board with QEMU's own ne2k_pci. The guest pings slirp's gateway and fetches an
8 MiB file of new content over TCP from the fixture's HTTP server (grader/netfix.py),
timing it with its own clock; the host checks the file's sum, and counts minivmm's exits
per frame against one more minivmm run without the transfer."""
import argparse
import concurrent.futures
import dataclasses
import os
import pathlib
import re
import resource
import secrets
import statistics
import sys

from . import netfix, proc, qemu

BANNER = b"=== minivmm Linux guest"

# (result name, what it is, the guest-only baseline it is compared with, minivmm options of the run)
ROWS = [
    ("hvc", "hypercall round trip (HVC, MV_HC_NOP)", "call", ""),
    ("wfi", "trapped WFI (lab 1)", "call", ""),
    ("undef", "trapped CP15 read, undefined injected (lab 1)", "call", ""),
    ("s2fault", "stage-2 fault, data abort injected (lab 2)", "call", ""),
    ("mmio_isv", "MMIO LDR, syndrome decoded (lab 3)", "ram_ldr", ""),
    ("mmio_decode", "MMIO LDRD, fetched + decoded, no cache (lab 3)", "ram_ldrd", "dcache=off"),
    ("mmio_decode", "MMIO LDRD, decode cache warm (lab 3)", "ram_ldrd", ""),
    ("virq", "virtual timer deadline to guest handler (lab 4)", "call", ""),
]


def parse(output):
    return {m.group(1): int(m.group(2)) / 100 for m in re.finditer(r"^BENCH (\S+) (\d+)$", output, re.M)}


LINUX = ("build/linux/zImage", "build/linux/initramfs.cpio")
# The guest's workload (guests/linux/etc/init.d/console, minivmm.bench); boot is timed up to BANNER.
PHASES = ("boot", "fork", "cpu", "md5")
GOALS = {"boot": 1.05, "fork": 1.10, "cpu": 1.02, "md5": 1.05}  # minivmm/native wall-time ratios aimed at
MARKER = re.compile(r"minivmm-bench: (begin|end) (\w+)")
EXITS = re.compile(r"minivmm: (\d+) exits:(.*)")
ICOUNT_TIMEOUT = 900  # one -icount run: the workload takes minutes of real time there
RUN_TIMEOUT = 300  # seconds for one boot, workload and power-off (about 20 s natively)
PICTURES = pathlib.Path("build/bench")


def line_times(chunks):
    """(seconds, line) for each line of the output, timed when its newline arrived:
    chunks are (seconds, bytes) reads as QEMU's unbuffered output came in."""
    lines, part = [], b""
    for t, chunk in chunks:
        part += chunk
        *done, part = part.split(b"\n")
        lines += [(t, l.decode("utf-8", "replace").rstrip("\r")) for l in done]
    return lines


@dataclasses.dataclass
class Marks:
    """What one run's output showed, in seconds from QEMU's start."""
    banner: float | None = None
    begin: dict = dataclasses.field(default_factory=dict)
    end: dict = dataclasses.field(default_factory=dict)


def marks(chunks):
    m = Marks()
    for t, line in line_times(chunks):
        if m.banner is None and BANNER.decode() in line:
            m.banner = t
        if found := MARKER.search(line):
            (m.begin if found.group(1) == "begin" else m.end).setdefault(found.group(2), t)
    return m


def phase_times(m, phases):
    """{phase: seconds}, or a string saying which marker is missing: a run that lost
    one failed, and must not count as a zero time."""
    times = {}
    for ph in phases:
        if ph == "boot":
            start, stop = 0.0, m.banner
            if stop is None:
                return "no init banner"
        else:
            start, stop = m.begin.get(ph), m.end.get(ph)
            if start is None or stop is None:
                return f"no {'begin' if start is None else 'end'} marker for {ph}"
        times[ph] = stop - start
    return times


def current_phase(m):
    """Where a run stopped (for Ctrl-C): the phase begun and not ended, else the last step."""
    if m.banner is None:
        return "boot"
    open_ = [ph for ph in m.begin if ph not in m.end]
    if open_:
        return open_[-1]
    return f"after {list(m.end)[-1]}" if m.end else "after boot"


def parse_exits(output):
    """minivmm's final statistics line: (total, {class: count}), or None if it printed none."""
    found = None
    for found in EXITS.finditer(output):
        pass
    if not found:
        return None
    classes = {}
    for item in found.group(2).split(","):
        name, _, count = item.strip().rpartition(" ")
        if name and count.isdigit():
            classes[name] = int(count)
    return int(found.group(1)), classes


@dataclasses.dataclass
class LinuxRun:
    times: dict          # phase (and "whole run") -> seconds; empty if the run failed
    error: str = ""      # why the run failed
    exits: tuple | None = None  # (total, {class: count}) of a minivmm run
    output: str = ""


def judge(result, chunks, phases, vmm):
    """A LinuxRun from proc.run's result and the timed reads of its output."""
    times = phase_times(marks(chunks), phases)
    exits = parse_exits(result.output) if vmm else None
    if result.timed_out:
        error = f"stopped at the {RUN_TIMEOUT} s timeout"
    elif result.status != 0:
        error = f"QEMU exited with status {result.status}"
    elif isinstance(times, str):
        error = times
    elif vmm and exits is None:
        error = "minivmm printed no exit statistics"
    else:
        return LinuxRun({**times, "whole run": result.seconds}, exits=exits, output=result.output)
    return LinuxRun({}, error, exits, result.output)


def spread(values):
    """(median, min, max), or None for no values."""
    return (statistics.median(values), min(values), max(values)) if values else None


def ratio(native, vmm):
    """minivmm's median over native's, and the range of the ratios of runs made side by side."""
    pairs = [v / n for n, v in zip(native, vmm) if n > 0]
    if not native or not vmm or statistics.median(native) <= 0:
        return None
    return statistics.median(vmm) / statistics.median(native), min(pairs, default=0), max(pairs, default=0)


def fmt_spread(s, digits=2):
    if s is None:
        return "failed"
    return f"{s[0]:.{digits}f} [{s[1]:.{digits}f}-{s[2]:.{digits}f}]"


def time_rows(native, vmm, phases):
    """The wall-time table, phase by phase and the whole run, as lines of text."""
    ok = [(n, v) for n, v in zip(native, vmm) if not n.error and not v.error]  # pairs both ran
    rows = [f"{'phase':<10} {'native s':>20} {'minivmm s':>20} {'ratio':>20} {'goal':>5}"]
    for key in (*phases, "whole run"):
        ns, vs = [n.times[key] for n, _ in ok], [v.times[key] for _, v in ok]
        r = ratio(ns, vs)
        rs = f"{r[0]:.3f}x [{r[1]:.2f}-{r[2]:.2f}]" if r else "-"
        goal = f"{GOALS[key]:.2f}" if key in GOALS else ""
        rows.append(f"{key:<10} {fmt_spread(spread(ns)):>20} {fmt_spread(spread(vs)):>20} {rs:>20} {goal:>5}")
    return rows


def exit_rows(vmm):
    """minivmm's exits over the whole run: per second of wall time and by class."""
    good = [r for r in vmm if not r.error and r.exits]
    if not good:
        return []
    per_s = spread([r.exits[0] / r.times["whole run"] for r in good])
    rows = [f"{'exits/s':<10} {'':>20} {fmt_spread(per_s, 0):>20}",
            f"{'exits':<10} {'':>20} {fmt_spread(spread([r.exits[0] for r in good]), 0):>20}"]
    for c in exits_by_class(vmm):
        rows.append(f"  {c:<8} {'':>20} {fmt_spread(spread([r.exits[1].get(c, 0) for r in good]), 0):>20}")
    return rows


def exits_by_class(vmm):
    """{class: median count} over the minivmm runs that did not fail (for the picture)."""
    good = [r.exits[1] for r in vmm if not r.error and r.exits]
    names = sorted({c for e in good for c in e}, key=lambda c: -statistics.median(e.get(c, 0) for e in good))
    return {c: statistics.median(e.get(c, 0) for e in good) for c in names}


def linux_ready():
    """Why the Linux table cannot run, or "": the kernel, and an initramfs with the workload."""
    if not all(pathlib.Path(p).is_file() for p in LINUX):
        return "run 'make linux' first"
    if b"minivmm-bench: begin" not in pathlib.Path(LINUX[1]).read_bytes():
        return f"{LINUX[1]} has no bench workload: run 'make linux' to rebuild it"
    return ""


@dataclasses.dataclass
class Progress:
    """The run under way, for the Ctrl-C message."""
    run: str = "before the first run"  # "run 2 of 5 (native)"
    chunks: list = dataclasses.field(default_factory=list)


def linux_run(argv, phases, vmm, progress):
    progress.chunks = []
    r = proc.run(argv, RUN_TIMEOUT, on_output=lambda chunk, t: progress.chunks.append((t, chunk)))
    return judge(r, progress.chunks, phases, vmm)


def linux_argvs(vmm, arch, phases, vmm_opts, icount=False):
    """The native and the minivmm QEMU command lines of one workload: in real time, or
    both under -icount (icount_table)."""
    args = f"console=ttyAMA0 minivmm.bench={'+'.join(phases)}"
    native = qemu.linux_command(LINUX[0], LINUX[1], args, arch=arch) + (qemu.ICOUNT if icount else [])
    under = qemu.command(vmm, LINUX[0], ["mem=128", f"initrd={LINUX[1]}", *vmm_opts.split()], args.split(),
                         deterministic=icount, arch=arch)
    return native, under


def linux_runs(a, progress):
    """Native and minivmm runs, alternating, so that a change in the machine's load
    (another build on its two cores) falls on both."""
    native_argv, vmm_argv = linux_argvs(a.vmm, a.arch, a.phases, a.linux_vmm_opts)
    native, vmm = [], []
    for i in range(1, a.runs + 1):
        for kind, argv, into in (("native", native_argv, native), ("minivmm", vmm_argv, vmm)):
            progress.run = f"run {i} of {a.runs} ({kind})"
            print(f"  {progress.run}...", end="", flush=True)
            into.append(linux_run(argv, a.phases, kind == "minivmm", progress))
            r = into[-1]
            print(f" failed: {r.error}" if r.error else f" {r.times['whole run']:.1f} s", flush=True)
    return native, vmm


def report_failures(native, vmm):
    """Name each failed run, with the end of its output; True if there was one."""
    failed = False
    for kind, runs in (("native", native), ("minivmm", vmm)):
        for i, r in enumerate(runs, 1):
            if r.error:
                failed = True
                tail = "\n".join(r.output.splitlines()[-15:])
                print(f"\nbench: {kind} run {i} failed ({r.error}); its output ended with:\n{tail}")
    return failed


def linux_table(a, progress):
    """The Linux workload table; 0, or 1 if a run failed."""
    why = linux_ready()
    if why:
        print(f"\n(Linux workload: {why})")
        return 0
    opts = f", minivmm options '{a.linux_vmm_opts}'" if a.linux_vmm_opts else ""
    print(f"\nLinux workload, directly on QEMU's virt board (native) and under minivmm{opts}:")
    native, vmm = linux_runs(a, progress)
    print(f"\nLinux wall time in seconds, median [min-max] of {a.runs} runs each, alternating;")
    print("ratio: minivmm's median over native's [range of the side-by-side runs' ratios]")
    print("\n".join(time_rows(native, vmm, a.phases)))
    print("\n".join(exit_rows(vmm)))
    print("(exits are minivmm's whole-run statistics, boot and power-off included: it prints them once, at the end)")
    pictures(native, vmm, a.phases, pathlib.Path(a.out))
    return 1 if report_failures(native, vmm) else 0


def pictures(native, vmm, phases, out):
    """build/bench/linux-exits.png and linux-ratios.png, with Debian's matplotlib if it is there."""
    try:
        import matplotlib  # lazily: the rest of the grader keeps to the standard library
        matplotlib.use("Agg")  # files only, no display
        from matplotlib import pyplot
    except ImportError:
        print(f"bench: no pictures: {sys.executable} cannot import matplotlib "
              "(Debian's python3-matplotlib; 'make deps' installs it)")
        return
    out.mkdir(parents=True, exist_ok=True)
    exits = exits_by_class(vmm)
    if exits:
        print(f"bench: wrote {exits_picture(pyplot, exits, out / 'linux-exits.png')}")
    ratios = {}
    for ph in phases:
        ok = [(n.times[ph], v.times[ph]) for n, v in zip(native, vmm) if not n.error and not v.error]
        if r := ratio([n for n, _ in ok], [v for _, v in ok]):
            ratios[ph] = r
    if ratios:
        print(f"bench: wrote {ratios_picture(pyplot, ratios, out / 'linux-ratios.png')}")


def exits_picture(pyplot, exits, path):
    fig, ax = pyplot.subplots(figsize=(7, 4))
    bars = ax.bar(list(exits), list(exits.values()), color="tab:blue")
    ax.bar_label(bars, labels=[f"{v:,.0f}" for v in exits.values()], fontsize=8)
    ax.set_ylabel("exits (median of the runs)")
    ax.set_title("Linux under minivmm: exits by class, whole run")
    ax.margins(y=0.15)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    pyplot.close(fig)
    return path


def ratios_picture(pyplot, ratios, path):
    names = list(ratios)
    med = [ratios[n][0] for n in names]
    err = [[m - ratios[n][1] for n, m in zip(names, med)], [ratios[n][2] - m for n, m in zip(names, med)]]
    fig, ax = pyplot.subplots(figsize=(6, 4.4))
    # Bars grow from 1.0 (no cost), so slower and faster than native point up and down.
    bars = ax.bar(names, [m - 1 for m in med], bottom=1, yerr=err, capsize=4, color="tab:orange",
                  label="minivmm / native: median, range of the runs")
    ax.bar_label(bars, labels=[f"{m:.3f}" for m in med], fontsize=8, padding=6)
    ax.axhline(1.0, color="black", linewidth=1)
    goals = [(n, GOALS[n]) for n in names if n in GOALS]
    ax.scatter([n for n, _ in goals], [g for _, g in goals], marker="_", s=900, color="tab:green",
               linewidths=3, zorder=3, label="goal")
    lows, highs = [ratios[n][1] for n in names], [ratios[n][2] for n in names]
    low, high = min(0.95, *lows), max(1.15, *highs)
    ax.set_ylim(low - 0.05 * (high - low), high + 0.12 * (high - low))  # room for the labels above the range
    ax.set_ylabel("wall-time ratio")
    ax.set_title("Linux workload: minivmm over native QEMU")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize=8, markerscale=0.3, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    pyplot.close(fig)
    return path


GUEST_CLOCK = re.compile(r"minivmm-bench: (begin|end) (\w+) \(guest clock ([\d.]+) s\)")
INIT = re.compile(r"^\[\s*([\d.]+)\] Run /init", re.M)


def guest_times(output, phases):
    """{phase: seconds of the guest's own clock}: boot up to the kernel starting init
    (its log's timestamp), each phase between the clock readings of its markers
    (/proc/uptime, 10 ms steps); a string naming what is missing."""
    begin, end = {}, {}
    for m in GUEST_CLOCK.finditer(output):
        (begin if m.group(1) == "begin" else end)[m.group(2)] = float(m.group(3))
    times = {}
    for ph in phases:
        if ph == "boot":
            init = INIT.search(output)
            if not init:
                return "no 'Run /init' line"
            times[ph] = float(init.group(1))
        elif ph in begin and ph in end:
            times[ph] = end[ph] - begin[ph]
        else:
            return f"no guest clock for {ph}"
    return times


def icount_table(a):
    """The same workload once each under -icount shift=0, where virtual time is the count of
    instructions executed (guest and VMM alike): deterministic, and what minivmm's own code
    adds. 0, or 1 if a run failed."""
    argvs = linux_argvs(a.vmm, a.arch, a.phases, a.linux_vmm_opts, icount=True)
    print("\nLinux under -icount (one run each, side by side: the guest's clock counts instructions)...", flush=True)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda argv: proc.run(argv, ICOUNT_TIMEOUT), argvs))
    times = [guest_times(r.output, a.phases) for r in runs]
    for kind, r, t in zip(("native", "minivmm"), runs, times):
        if r.timed_out or r.status or isinstance(t, str):
            why = t if isinstance(t, str) else f"status {r.status}" + (" (timeout)" if r.timed_out else "")
            print(f"bench: the {kind} -icount run failed ({why})")
            return 1
    print(f"{'phase':<10} {'native':>12} {'minivmm':>12} {'ratio':>9}   (millions of instructions)")
    for ph in a.phases:
        n, v = times[0][ph], times[1][ph]
        print(f"{ph:<10} {n * 1000:>12.0f} {v * 1000:>12.0f} {v / n:>8.3f}x")
    print("(boot: up to the kernel starting init; phases: /proc/uptime, 10 ms steps. Where this ratio is\n"
          " near 1 and the wall-time ratio is not, the time goes to QEMU running a guest under a\n"
          " hypervisor at all: two-stage translation, exception entry and return, not minivmm's code)")
    return 0


# ---- the network part: minivmm's NE2000 against QEMU's own ne2k_pci, same kernel and initramfs
NET_FILE = "bench.bin"  # netfix.BENCH_FILES: served at http://10.0.2.100/bench.bin
NET_BYTES = netfix.BENCH_FILES["http/" + NET_FILE][1]
NET_STEPS = ("ping", "wget")  # the guest's steps (console's minivmm.benchnet); the baseline run pings only
NET_NIC = "ne2k_pci"  # QEMU's own card, the native side
NET_GOAL = 0.8  # minivmm's MB/s over QEMU's card's, aimed at
# The guest's TCP receive buffer (tcp_rmem: min, default, max): a window of about 8 KiB, which
# the card's receive ring (52 pages, about 8 full frames under Linux's ne2k-pci) holds. With
# the kernel's default window slirp sends bursts that overflow the ring, on either card, and
# the transfer becomes a series of slirp's 1.5 s retransmission timeouts (about 60 s for 8 MiB
# on both sides, a ratio near 1 whatever the card costs).
NET_RMEM = "4096 16384 16384"
NET_RUN_TIMEOUT = 420  # seconds: boot, the steps (the guest gives wget 280 s), power-off
PING = re.compile(r"round-trip min/avg/max = ([\d.]+)/([\d.]+)/([\d.]+) ms")
PING_COUNT = re.compile(r"(\d+) packets transmitted, (\d+) packets received")
NET_SUM = re.compile(r"^sha256 " + re.escape(NET_FILE) + r" (\S*) \((\d*) bytes\)", re.M)
NET_STATS = re.compile(r"minivmm: net: sent (\d+) frames \(\d+ bytes\), received (\d+) frames")
CARD_DROPS = re.compile(r"minivmm: ne2000: \d+ frames sent, \d+ received, (\d+) dropped")
GUEST_FAIL = re.compile(r"minivmm-bench: FAIL (.*)")


@dataclasses.dataclass
class NetRun:
    """One network run: its figures, or why it is invalid (then none of them counts)."""
    mbps: float | None = None     # 10^6 bytes per second of the guest's clock, wget step
    ping_ms: float | None = None  # busybox's average round trip
    lost: int = 0                 # echoes without a reply (a note, not a failure)
    exits: tuple | None = None    # (total, {class: count}) of a minivmm run
    frames: int | None = None     # frames minivmm's host NIC sent + received
    drops: int | None = None      # frames minivmm's NE2000 dropped (ring full, filtered, ...)
    error: str = ""
    output: str = ""


def net_cmdline(steps, nonce, rmem):
    """The guest's command line of a network run (no commas: minivmm's arguments have none)."""
    words = ["console=ttyAMA0", f"minivmm.benchnet={'+'.join(steps)}", f"nonce={nonce}"]
    return " ".join(words + ([f"tcp_rmem={'+'.join(rmem.split())}"] if rmem else []))


def net_argvs(vmm, arch, vmm_opts, fixture, steps, nonce, rmem):
    """The native and the minivmm QEMU command lines of one network run, in real time, on
    fixture's isolated network: QEMU's ne2k_pci on the bare board (its PCI bus below 4 GiB),
    or minivmm's NE2000 behind the NIC minivmm drives (qemu.Machine.host_nic)."""
    args = net_cmdline(steps, nonce, rmem)
    native = qemu.linux_command(LINUX[0], LINUX[1], args, arch=arch,
                                net=qemu.net_args("user", fixture, device=NET_NIC, arch=arch))
    under = qemu.command(vmm, LINUX[0], ["mem=128", f"initrd={LINUX[1]}", *vmm_opts.split()], args.split(),
                         deterministic=False, arch=arch, net=qemu.net_args("user", fixture, arch=arch))
    return native, under


def judge_net(result, steps, sha256, vmm):
    """A NetRun from proc.run's result: the steps' guest-clock times, the ping summary, the
    file's sum against the fixture's (sha256), and for minivmm its exit and NIC statistics."""
    out = result.output
    run = NetRun(output=out)
    if result.timed_out:
        run.error = "stopped at the timeout"
    elif result.status != 0:
        run.error = f"QEMU exited with status {result.status}"
    elif fail := GUEST_FAIL.search(out):
        run.error = f"the guest reported: {fail.group(1).strip()}"
    if run.error:
        return run
    times = guest_times(out, steps)
    if isinstance(times, str):
        run.error = times
        return run
    if "ping" in steps:
        found, count = PING.search(out), PING_COUNT.search(out)
        if not found or not count:
            run.error = "no ping summary"
            return run
        run.ping_ms = float(found.group(2))
        run.lost = int(count.group(1)) - int(count.group(2))
    if "wget" in steps:
        got = NET_SUM.search(out)
        if not got:
            run.error = f"no sha256 line for {NET_FILE}"
            return run
        if got.group(1) != sha256 or got.group(2) != str(NET_BYTES):
            run.error = (f"wrong sha256 of {NET_FILE} ({got.group(2) or 'no'} bytes, "
                         f"sum {got.group(1)[:16] or 'none'}..., expected {sha256[:16]}...)")
            return run
        if times["wget"] <= 0:
            run.error = "wget took less than the guest clock's 10 ms step"
            return run
        run.mbps = NET_BYTES / 1e6 / times["wget"]
    if vmm:
        run.exits = parse_exits(out)
        stats = NET_STATS.search(out)
        if run.exits is None or not stats:
            run.error = "minivmm printed no " + ("exit" if run.exits is None else "network") + " statistics"
            return run
        run.frames = int(stats.group(1)) + int(stats.group(2))
        if drops := CARD_DROPS.search(out):
            run.drops = int(drops.group(1))
    return run


def per_frame(run, base):
    """(exits per frame, {class: exits per frame}) of a minivmm run over a baseline run
    without the transfer (exits and frames both as differences), or None."""
    if run.error or not run.exits or base is None or base.error or not base.exits:
        return None
    frames = run.frames - base.frames
    if frames <= 0:
        return None
    classes = {c: (n - base.exits[1].get(c, 0)) / frames for c, n in run.exits[1].items()}
    return (run.exits[0] - base.exits[0]) / frames, classes


def class_medians(figures):
    """{class: median exits per frame}, largest first, over per_frame's figures."""
    classes = {c for f in figures for c in f[1]}
    medians = {c: statistics.median(f[1].get(c, 0) for f in figures) for c in classes}
    return dict(sorted(medians.items(), key=lambda item: -item[1]))


def net_rows(native, vmm, base):
    """The network table as lines of text: side-by-side pairs where both runs were valid."""
    ok = [(n, v) for n, v in zip(native, vmm) if not n.error and not v.error]
    rows = [f"{'measure':<14} {'QEMU ne2k_pci':>22} {'minivmm NE2000':>22} {'minivmm/QEMU':>22} {'goal':>6}"]
    for name, key, digits, goal in (("TCP MB/s", "mbps", 3, f">={NET_GOAL:.1f}"),
                                    ("ping avg ms", "ping_ms", 2, "")):
        ns, vs = [getattr(n, key) for n, _ in ok], [getattr(v, key) for _, v in ok]
        r = ratio(ns, vs)
        rs = f"{r[0]:.3f}x [{r[1]:.2f}-{r[2]:.2f}]" if r else "-"
        rows.append(f"{name:<14} {fmt_spread(spread(ns), digits):>22} {fmt_spread(spread(vs), digits):>22} "
                    f"{rs:>22} {goal:>6}")
    figures = [f for f in (per_frame(v, base) for _, v in ok) if f]
    if figures:
        rows.append(f"{'exits/frame':<14} {'':>22} {fmt_spread(spread([f[0] for f in figures]), 1):>22}")
        for c, med in class_medians(figures).items():
            if med >= 0.05:
                rows.append(f"  {c:<12} {'':>22} {med:>20.1f}")
    else:
        why = base.error if base is not None and base.error else "no valid pair of runs"
        rows.append(f"{'exits/frame':<14} {'':>22} {'-':>22}   ({why})")
    good = [v for _, v in ok]
    if good:
        rows.append(f"{'frames':<14} {'':>22} {fmt_spread(spread([v.frames for v in good]), 0):>22}")
        drops = [v.drops for v in good if v.drops is not None]
        if drops:
            rows.append(f"{'card drops':<14} {'':>22} {fmt_spread(spread(drops), 0):>22}")
    lost = sum(r.lost for pair in ok for r in pair)
    if lost:
        rows.append(f"(ping: {lost} echoes had no reply, over all the valid runs)")
    return rows


def net_ready():
    """Why the network part cannot run, or "": the kernel, and an initramfs with its branch."""
    if not all(pathlib.Path(p).is_file() for p in LINUX):
        return "run 'make linux' first"
    data = pathlib.Path(LINUX[1]).read_bytes()
    if b"minivmm.benchnet" not in data or b"ne2k-pci.ko" not in data:
        return f"{LINUX[1]} has no network workload: run 'make linux' to rebuild it"
    return ""


def net_run(a, steps, vmm, progress):
    """One network run on a fixture of its own (new content, removed afterwards)."""
    nonce = secrets.token_hex(4)
    with netfix.Fixture(pathlib.Path("build/tmp"), nonce, files=netfix.BENCH_FILES) as fix:
        argvs = net_argvs(a.vmm, a.arch, a.linux_vmm_opts, fix.path, steps, nonce, a.net_tcp_rmem)
        progress.chunks = []
        r = proc.run(argvs[1] if vmm else argvs[0], NET_RUN_TIMEOUT,
                     on_output=lambda chunk, t: progress.chunks.append((t, chunk)))
        return judge_net(r, steps, fix.sums[NET_FILE], vmm)


def net_runs(a, progress):
    """Native and minivmm runs, alternating; then minivmm once without the transfer."""
    native, vmm = [], []

    def one(label, steps, is_vmm):
        progress.run = label
        print(f"  {label}...", end="", flush=True)
        r = net_run(a, steps, is_vmm, progress)
        figures = [f"{r.mbps:.3f} MB/s" if r.mbps else "", f"ping {r.ping_ms:.2f} ms" if r.ping_ms else ""]
        print(f" invalid: {r.error}" if r.error else " " + ", ".join(f for f in figures if f), flush=True)
        return r
    for i in range(1, a.runs + 1):
        native.append(one(f"network run {i} of {a.runs} (QEMU's {NET_NIC})", NET_STEPS, False))
        vmm.append(one(f"network run {i} of {a.runs} (minivmm)", NET_STEPS, True))
    base = one("minivmm without the transfer (for exits per frame)", ("ping",), True)
    return native, vmm, base


def net_table(a, progress):
    """The network table; 0, or 1 if a run was invalid."""
    why = net_ready()
    if why:
        print(f"\n(Linux network: skipped: {why})")
        return 0
    window = f"TCP receive buffer {a.net_tcp_rmem}" if a.net_tcp_rmem else "the kernel's TCP receive buffer"
    print(f"\nLinux network, the same kernel and initramfs: QEMU's own {NET_NIC} on its bare board, and "
          f"minivmm's NE2000\n(behind QEMU's {qemu.machine(a.arch).host_nic}); isolated user network, real time, "
          f"{window}:")
    native, vmm, base = net_runs(a, progress)
    print(f"\nLinux network, median [min-max] of {a.runs} runs each, alternating; the ratio is minivmm's median "
          "over QEMU's card's\n[range of the side-by-side runs' ratios]; invalid runs are left out")
    print("\n".join(net_rows(native, vmm, base)))
    base_note = (f"{base.exits[0]} exits, {base.frames} frames" if not base.error
                 else f"failed: {base.error}")
    print(f"(TCP MB/s: {NET_BYTES:,} bytes by HTTP (busybox wget) over the guest clock's time of the transfer\n"
          f" (/proc/uptime, 10 ms steps), 10^6 bytes/s; the file's sha256 is checked, a wrong one voids the run.\n"
          f" ping: busybox's average of 20 echoes to slirp's gateway 0.2 s apart, after one for the ARP cache;\n"
          f" a ratio above 1 is slower. exits/frame: minivmm's exits over the whole run minus those of one run\n"
          f" without the transfer (boot, modules, ping: {base_note}), over the frames minivmm's\n"
          f" host NIC sent and received minus that run's: what one frame of the transfer costs, the guest's\n"
          f" timer ticks during the transfer included; by class below it. card drops: frames minivmm's NE2000\n"
          f" dropped (a full ring costs slirp a 1.5 s retransmission timeout))")
    net_picture(native, vmm, base, pathlib.Path(a.out))
    failed = False
    for kind, runs in (("QEMU's card", native), ("minivmm", vmm), ("minivmm without the transfer", [base])):
        for i, r in enumerate(runs, 1):
            if r.error:
                failed = True
                tail = "\n".join(r.output.splitlines()[-15:])
                print(f"\nbench: network run {i} ({kind}) is invalid ({r.error}); its output ended with:\n{tail}")
    return 1 if failed else 0


def net_picture(native, vmm, base, out):
    """build/bench/linux-net.png, with Debian's matplotlib if it is there."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError:
        print(f"bench: no network picture: {sys.executable} cannot import matplotlib")
        return
    ok = [(n, v) for n, v in zip(native, vmm) if not n.error and not v.error]
    if not ok:
        return
    out.mkdir(parents=True, exist_ok=True)
    print(f"bench: wrote {net_figure(pyplot, ok, base, out / 'linux-net.png')}")


def net_figure(pyplot, ok, base, path):
    fig, axes = pyplot.subplots(1, 3, figsize=(11, 4))
    labels = [f"QEMU\n{NET_NIC}", "minivmm\nNE2000"]
    for ax, key, title, unit in ((axes[0], "mbps", "TCP transfer, 8 MiB", "MB/s"),
                                 (axes[1], "ping_ms", "ping round trip (avg)", "ms")):
        sides = [spread([getattr(p[i], key) for p in ok]) for i in (0, 1)]
        med = [s[0] for s in sides]
        err = [[m - s[1] for m, s in zip(med, sides)], [s[2] - m for m, s in zip(med, sides)]]
        bars = ax.bar(labels, med, yerr=err, capsize=4, color=["tab:gray", "tab:blue"])
        ax.bar_label(bars, labels=[f"{m:.3g}" for m in med], fontsize=8, padding=6)
        if key == "mbps":
            ax.axhline(NET_GOAL * med[0], color="tab:green", linestyle="--", linewidth=1.5,
                       label=f"goal: {NET_GOAL:.1f} x QEMU's card")
            ax.legend(fontsize=8, loc="upper right")
        ax.set_ylabel(f"{unit} (median, range of the runs)")
        ax.set_title(title)
        ax.margins(y=0.2)
    figures = [f for f in (per_frame(v, base) for _, v in ok) if f]
    ax = axes[2]
    if figures:
        medians = {c: m for c, m in class_medians(figures).items() if m >= 0.05}  # as in the table
        classes, meds = list(medians), list(medians.values())
        bars = ax.bar(classes, meds, color="tab:orange")
        ax.bar_label(bars, labels=[f"{m:.1f}" for m in meds], fontsize=8)
        ax.set_yscale("symlog", linthresh=1)
        ax.set_ylim(0, max(meds, default=1) * 4)  # room for the labels on the log scale
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    ax.set_ylabel("exits per frame (median)")
    ax.set_title("minivmm: exits per frame (transfer)")
    fig.suptitle("Linux network: minivmm's NE2000 and QEMU's own card")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    pyplot.close(fig)
    return path


# ---- the audio part: lab 6's HD Audio, tinykernel's lab6-tone and Debian's aplay
AUDIO_BYTES_S = 48000 * 2 * 2  # bytes per second of 48 kHz 16-bit stereo
AUDIO_GOAL = 1.05  # wall time of the playback over the sound's own duration, at most
AUDIO_RUN_TIMEOUT = 120  # seconds for one Linux sound run (about 8 s)
SOUND_WAV = "usr/share/sounds/tone.wav"  # in the initramfs (guests/linux/build_hda.py)
HDA_PLAYED = re.compile(r"^minivmm: hda: \d+ verbs .*?, (\d+) bytes played", re.M)
PL011_ACCESSES = re.compile(r"^minivmm:\s+pl011\s+\S+: (\d+) reads, (\d+) writes", re.M)
TONE_START = "tinykernel: running 'lab6-tone'"
TONE_REPORT = re.compile(r"^lab6-tone: \d+ Hz: frames .*LPIB read (\d+) times", re.M)
TONE_PASS = "MVTEST lab6-tone PASS"
APLAY_START = "Playing WAVE '/" + SOUND_WAV + "'"
APLAY_END = "minivmm-sound: aplay done"
SOUND_FAIL = re.compile(r"minivmm-sound: FAIL (.*)")
STATS_AT = re.compile(r"minivmm: statistics at exit (\d+):")
ESCAPE_STATS = b"\x1dstats\r"  # minivmm's console escape (Ctrl-]): its exit statistics so far
NEVER = b"\0never typed\0"  # proc.run's stdin_after that never shows: stdin stays open for the escapes


def hda_played(output):
    """Bytes minivmm's HDA stream played (its last statistics line: the final one), or None."""
    found = HDA_PLAYED.findall(output)
    return int(found[-1]) if found else None


def pl011_accesses(output):
    """The PL011's reads and writes (minivmm's last device statistics), or None: console exits."""
    found = PL011_ACCESSES.findall(output)
    return int(found[-1][0]) + int(found[-1][1]) if found else None


def cpio_member(data, name):
    """The contents of name in a newc cpio archive (an initramfs), or None."""
    pos = 0
    while data[pos:pos + 6] in (b"070701", b"070702"):
        size, namesize = int(data[pos + 54:pos + 62], 16), int(data[pos + 94:pos + 102], 16)
        start = pos + 110
        member = data[start:start + namesize - 1].decode("utf-8", "replace")
        body = (start + namesize + 3) & ~3
        if member == "TRAILER!!!":
            return None
        if member.lstrip("./") == name:
            return data[body:body + size]
        pos = (body + size + 3) & ~3
    return None


def wav_seconds(data):
    """A WAV's duration in seconds (its frames over its rate), or None if it is no WAV."""
    import io
    import wave
    try:
        with wave.open(io.BytesIO(data)) as w:
            return w.getnframes() / w.getframerate()
    except (wave.Error, EOFError):
        return None


def tone_ready(vmm, guest):
    """Why tinykernel's audio table cannot run, or "": minivmm with HD Audio, a guest with lab6-tone."""
    if b"minivmm: hda:" not in pathlib.Path(vmm).read_bytes():
        return f"{vmm} has no HD Audio (lab 6)"
    if b"lab6-tone" not in pathlib.Path(guest).read_bytes():
        return f"{guest} has no lab6-tone program"
    return ""


def sound_ready(vmm):
    """(why Linux's sound table cannot run or "", the test sound's duration in seconds)."""
    if b"minivmm: hda:" not in pathlib.Path(vmm).read_bytes():
        return f"{vmm} has no HD Audio (lab 6)", None
    if not all(pathlib.Path(p).is_file() for p in LINUX):
        return "run 'make linux' first", None
    data = pathlib.Path(LINUX[1]).read_bytes()
    wav = cpio_member(data, SOUND_WAV)
    seconds = wav_seconds(wav) if wav else None
    if b"minivmm.sound" not in data or b"snd-hda-intel" not in data or not seconds:
        return f"{LINUX[1]} has no sound files (aplay, {SOUND_WAV}): run 'make linux' to rebuild it", None
    return "", seconds


def cpu_seconds(pid):
    """A live process's user+sys CPU seconds, all its threads (/proc/<pid>/stat), or None."""
    try:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


class Watch:
    """Watches a run's output for lines that mark its playback: when one first shows (whole),
    notes the time and the QEMU process's CPU seconds, and runs its action (a QMP query, a
    console escape typed). marks: {name: (substring, action or None)}."""

    def __init__(self, marks, progress):
        self.marks, self.progress = marks, progress
        self.at, self.cpu, self.got, self.pid, self.part = {}, {}, {}, None, b""
        progress.chunks = []

    def started(self, popen):
        self.pid = popen.pid
        self.popen = popen

    def output(self, chunk, seconds):
        self.progress.chunks.append((seconds, chunk))
        self.part += chunk
        *lines, self.part = self.part.split(b"\n")
        for line in lines:
            text = line.decode("utf-8", "replace")
            for name, (needle, action) in self.marks.items():
                if name not in self.at and needle in text:
                    self.at[name] = seconds
                    self.cpu[name] = cpu_seconds(self.pid)
                    if action:
                        self.got[name] = action(self)

    def span(self, first, last):
        """(host seconds, QEMU's CPU seconds) from mark first to mark last, or None."""
        if first not in self.at or last not in self.at:
            return None
        cpu = (self.cpu[last] - self.cpu[first]) if None not in (self.cpu[first], self.cpu[last]) else None
        return self.at[last] - self.at[first], cpu


class Qmp:
    """QEMU's QMP on a Unix socket: query-replay's icount, the instructions executed so far
    (-icount: also the guest's nanoseconds), which QEMU reports outside record/replay too."""

    def __init__(self, path):
        self.path, self.file = path, None

    def icount(self):
        import json
        import socket
        try:
            if self.file is None:
                s = socket.socket(socket.AF_UNIX)
                s.settimeout(5)
                s.connect(str(self.path))
                self.file = s.makefile("rw")
                self.file.readline()  # the greeting
                self.file.write('{"execute": "qmp_capabilities"}\n')
                self.file.flush()
                self.file.readline()
            self.file.write('{"execute": "query-replay"}\n')
            self.file.flush()
            while True:
                reply = json.loads(self.file.readline())
                if "return" in reply:
                    return int(reply["return"]["icount"])
                if "error" in reply:
                    return None
        except (OSError, ValueError, KeyError):
            return None

    def close(self):
        if self.file:
            self.file.close()


@dataclasses.dataclass
class ToneRun:
    """One tinykernel run (lab6-tone or the baseline's hello): minivmm's figures and the host's."""
    exits: tuple | None = None    # (total, {class: count}), minivmm's statistics
    console: int | None = None    # PL011 accesses (each one an exit)
    played: int | None = None     # bytes the stream played
    lpib: int | None = None       # LPIB reads the program counted (its polling)
    instructions: int | None = None  # -icount: between the program's start and its report line
    wall: float | None = None     # the whole run, seconds
    play_wall: float | None = None   # host seconds from the program's start to its report line
    play_cpu: float | None = None    # QEMU's CPU seconds over the same lines
    cpu: float | None = None      # QEMU's user+sys over the whole run
    error: str = ""
    output: str = ""


def judge_tone(r, watch, tone=True, cpu=None, icounts=None):
    """A ToneRun from proc.run's result r, the Watch of its output, QEMU's CPU seconds (cpu)
    and the QMP icount readings {mark: count} of an -icount run."""
    run = ToneRun(exits=parse_exits(r.output), console=pl011_accesses(r.output), played=hda_played(r.output),
                  wall=r.seconds, cpu=cpu, output=r.output)
    if r.timed_out:
        run.error = "stopped at the timeout"
    elif r.status != 0:
        run.error = f"QEMU exited with status {r.status}"
    elif run.exits is None or run.console is None or run.played is None:
        run.error = "minivmm printed no exit, PL011 or HDA statistics"
    if run.error or not tone:
        return run
    report = TONE_REPORT.search(r.output)
    if TONE_PASS not in r.output or not report:
        run.error = "lab6-tone did not pass"
    elif not run.played:
        run.error = "the stream played nothing"
    else:
        run.lpib = int(report.group(1))
        if span := watch.span("start", "end"):
            run.play_wall, run.play_cpu = span
        if icounts is not None:
            start, end = icounts.get("start"), icounts.get("end")
            if start is None or end is None:
                run.error = "QMP's query-replay gave no icount"
            else:
                run.instructions = end - start
    return run


def tone_figures(tone, hello):
    """What the -icount runs show, per second of audio played: {name: value}."""
    audio = tone.played / AUDIO_BYTES_S
    playback = (tone.exits[0] - hello.exits[0]) - (tone.console - hello.console)
    return {"audio s": audio, "exits": playback, "exits/s": playback / audio, "lpib/s": tone.lpib / audio,
            "other/s": (playback - tone.lpib) / audio, "instr/s": tone.instructions / audio,
            "instr/exit": tone.instructions / playback if playback > 0 else 0.0}


def tone_run(a, progress, program, deterministic, qmp_path=None):
    """One tinykernel run of program under minivmm (audio= into build/tmp), timed."""
    out = pathlib.Path("build/tmp")
    out.mkdir(parents=True, exist_ok=True)
    argv = qemu.command(a.vmm, a.guest, [f"audio={out / 'bench-tone.wav'}"], [f"run={program}"],
                        deterministic=deterministic, arch=a.arch, net=qemu.net_args(arch=a.arch))
    qmp = None
    if qmp_path:
        qmp = Qmp(qmp_path)
        argv += ["-qmp", f"unix:{qmp_path},server=on,wait=off"]
    action = (lambda w: qmp.icount()) if qmp else None
    watch = Watch({"start": (TONE_START, action), "end": (" Hz: frames ", action)}, progress)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        r = proc.run(argv, AUDIO_RUN_TIMEOUT, on_output=watch.output, started=watch.started)
    finally:
        if qmp:
            qmp.close()
            pathlib.Path(qmp_path).unlink(missing_ok=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return judge_tone(r, watch, program == "lab6-tone", cpu, watch.got if qmp else None)


def tone_rows(figures, rt):
    """The tinykernel audio table as lines: figures of the -icount runs (tone_figures), and
    the real-time runs (ToneRuns)."""
    f = figures
    rows = [f"{'lab6-tone under -icount (deterministic)':<44} {'per s of audio':>16} {'in all':>14}",
            f"{'audio played, s':<44} {'':>16} {f['audio s']:>14.4f}",
            f"{'exits of the playback':<44} {f['exits/s']:>16,.0f} {f['exits']:>14,}",
            f"{'  of which LPIB polls (the program counts)':<44} {f['lpib/s']:>16,.0f}",
            f"{'  the rest (setup, stream, interrupts)':<44} {f['other/s']:>16,.0f}",
            f"{'instructions (guest ns)':<44} {f['instr/s']:>16,.0f}",
            f"{'instructions per playback exit':<44} {'':>16} {f['instr/exit']:>14,.0f}"] if f else [
            "lab6-tone under -icount: failed"]
    good = [r for r in rt if not r.error and r.play_wall]
    rows.append(f"\n{f'lab6-tone in real time, {len(good)} runs':<44} {'median [min-max]':>31}")
    if not good:
        return rows + [f"{'':<44} {'failed':>31}"]
    audio = [r.played / AUDIO_BYTES_S for r in good]
    rows += [f"{'playback wall s':<44} {fmt_spread(spread([r.play_wall for r in good]), 3):>31}",
             f"{'  over the audio played':<44} "
             f"{fmt_spread(spread([r.play_wall / s for r, s in zip(good, audio)]), 3):>31} {f'<={AUDIO_GOAL:.2f}':>6}",
             f"{'host CPU share, playback':<44} "
             f"{fmt_spread(spread([r.play_cpu / r.play_wall for r in good if r.play_cpu is not None])):>31}",
             f"{'host CPU share, whole run':<44} {fmt_spread(spread([r.cpu / r.wall for r in good])):>31}",
             f"{'whole run wall s':<44} {fmt_spread(spread([r.wall for r in good])):>31}"]
    return rows


def tone_goal(rt):
    """The goal line of tinykernel's real-time playback."""
    good = [r.play_wall / (r.played / AUDIO_BYTES_S) for r in rt if not r.error and r.play_wall]
    if not good:
        return "goal: tinykernel's playback in real time: no valid run"
    med = statistics.median(good)
    return (f"goal: tinykernel's playback within {AUDIO_GOAL:.2f}x the audio's duration: "
            f"{'met' if med <= AUDIO_GOAL else 'NOT met'} ({med:.3f}x, median)")


def tinykernel_audio_table(a, progress):
    """lab6-tone under -icount (exits and instructions per second of audio) and in real time
    (wall time, host CPU share); 0, or 1 if a run failed."""
    why = tone_ready(a.vmm, a.guest)
    if why:
        print(f"\n(HD Audio, tinykernel: skipped: {why})")
        return 0
    print("\nHD Audio, tinykernel's lab6-tone (0.5 s of 440 Hz, 48 kHz 16-bit stereo) under minivmm:", flush=True)
    qmp_path = pathlib.Path("build/tmp") / f"bench-qmp-{secrets.token_hex(4)}.sock"
    progress.run = "lab6-tone under -icount"
    tone = tone_run(a, progress, "lab6-tone", True, qmp_path)
    progress.run = "hello under -icount (the baseline)"
    hello = tone_run(a, progress, "hello", True)
    rt = []
    for i in range(1, max(3, a.runs) + 1):
        progress.run = f"lab6-tone in real time, run {i}"
        rt.append(tone_run(a, progress, "lab6-tone", False))
    figures = tone_figures(tone, hello) if not tone.error and not hello.error else None
    print("\n".join(tone_rows(figures, rt)))
    print("(-icount shift=0: one instruction is one ns of guest time, guest and minivmm alike. Exits of the\n"
          " playback: lab6-tone's minus those of 'run=hello' (the same boot, no sound), minus the console's\n"
          " (PL011 accesses) of both; tinykernel busy-polls LPIB (its report counts the reads), so nearly\n"
          " every exit is a poll. Instructions: QMP's query-replay icount when the program's start line and\n"
          " its report line arrive (the host's reading adds a few ms of slack). Real time: playback from\n"
          " those two lines' arrival on the host; CPU share: QEMU's user+sys (/proc, 10 ms steps; whole run:\n"
          " getrusage of the child) over wall time, 1.0 = one host CPU)")
    print(tone_goal(rt))
    failed = False
    for name, runs in (("lab6-tone -icount", [tone]), ("hello -icount", [hello]), ("lab6-tone real time", rt)):
        for r in runs:
            if r.error:
                failed = True
                tail = "\n".join(r.output.splitlines()[-15:])
                print(f"\nbench: the {name} run failed ({r.error}); its output ended with:\n{tail}")
    return 1 if failed else 0


@dataclasses.dataclass
class SoundRun:
    """One Linux sound run: aplay's wall time, minivmm's exits during it, QEMU's CPU."""
    aplay: float | None = None    # host seconds from aplay's 'Playing WAVE' line to 'aplay done'
    cpu: float | None = None      # QEMU's CPU seconds over the same lines
    exits: tuple | None = None    # (exits, {class: count}) between the two 'stats' escapes
    stats_s: float | None = None  # host seconds between those two statistics
    played: int | None = None     # bytes the stream played (minivmm's final statistics)
    error: str = ""
    output: str = ""


def stats_snapshots(lines):
    """[(seconds, (total, {class: count}))] of each 'statistics at exit' the console escape
    printed, timed when its line arrived, from (seconds, line) pairs (line_times)."""
    snaps, at = [], None
    for t, line in lines:
        if STATS_AT.search(line):
            at = t
        elif at is not None and (got := parse_exits(line)):
            snaps.append((at, got))
            at = None
    return snaps


def judge_sound(r, watch):
    """A SoundRun from proc.run's result and the Watch of its output."""
    run = SoundRun(played=hda_played(r.output), output=r.output)
    if r.timed_out:
        run.error = "stopped at the timeout"
    elif r.status != 0:
        run.error = f"QEMU exited with status {r.status}"
    elif fail := SOUND_FAIL.search(r.output):
        run.error = f"the guest reported: {fail.group(1).strip()}"
    elif run.played is None:
        run.error = "minivmm printed no HDA statistics"
    elif not (span := watch.span("start", "end")):
        run.error = f"no '{APLAY_START}' or '{APLAY_END}' line"
    if run.error:
        return run
    run.aplay, run.cpu = span
    snaps = stats_snapshots(line_times(watch.progress.chunks))
    if len(snaps) >= 2 and snaps[1][0] > snaps[0][0]:
        (t0, (n0, c0)), (t1, (n1, c1)) = snaps[:2]
        run.exits = (n1 - n0, {c: n - c0.get(c, 0) for c, n in c1.items()})
        run.stats_s = t1 - t0
    else:
        run.error = "minivmm printed no statistics for the 'stats' escapes"
    return run


def sound_run(a, progress):
    """One run of the initramfs's minivmm.sound branch under minivmm, real time; the console
    escape 'stats' typed when aplay starts and when it is done."""
    out = pathlib.Path("build/tmp")
    out.mkdir(parents=True, exist_ok=True)
    argv = qemu.command(a.vmm, LINUX[0], ["mem=128", f"initrd={LINUX[1]}", *a.linux_vmm_opts.split(),
                                          f"audio={out / 'bench-sound.wav'}"], ["console=ttyAMA0", "minivmm.sound"],
                        deterministic=False, arch=a.arch, net=qemu.net_args(arch=a.arch))

    def escape(w):
        try:
            w.popen.stdin.write(ESCAPE_STATS)
            w.popen.stdin.flush()
        except OSError:
            pass
    watch = Watch({"start": (APLAY_START, escape), "end": (APLAY_END, escape)}, progress)
    try:
        r = proc.run(argv, AUDIO_RUN_TIMEOUT, stdin=b"", stdin_after=NEVER, on_output=watch.output,
                     started=watch.started)
    finally:
        if getattr(watch, "popen", None) and watch.popen.stdin:
            watch.popen.stdin.close()
    return judge_sound(r, watch)


def sound_rows(runs, seconds):
    """The Linux sound table as lines: aplay's wall time against the sound's duration."""
    good = [r for r in runs if not r.error]
    rows = [f"{'measure':<32} {'median [min-max]':>26} {'goal':>6}"]
    if not good:
        return rows + [f"{'aplay wall s':<32} {'failed':>26}"]
    rows += [f"{'aplay wall s':<32} {fmt_spread(spread([r.aplay for r in good]), 3):>26}",
             f"{f'  over the WAV ({seconds:.3f} s)':<32} "
             f"{fmt_spread(spread([r.aplay / seconds for r in good]), 3):>26} {f'<={AUDIO_GOAL:.2f}':>6}",
             f"{'played s (minivmm HDA)':<32} {fmt_spread(spread([r.played / AUDIO_BYTES_S for r in good]), 3):>26}",
             f"{'host CPU share during aplay':<32} "
             f"{fmt_spread(spread([r.cpu / r.aplay for r in good if r.cpu is not None])):>26}",
             f"{'exits/s during aplay':<32} {fmt_spread(spread([r.exits[0] / r.stats_s for r in good]), 0):>26}"]
    classes = sorted({c for r in good for c in r.exits[1]},
                     key=lambda c: -statistics.median(r.exits[1].get(c, 0) / r.stats_s for r in good))
    for c in classes:
        med = statistics.median(r.exits[1].get(c, 0) / r.stats_s for r in good)
        if med >= 0.5:
            rows.append(f"  {c:<30} {med:>24.0f}")
    return rows


def sound_goal(runs, seconds):
    good = [r.aplay / seconds for r in runs if not r.error]
    if not good:
        return "goal: aplay in real time under minivmm: no valid run"
    med = statistics.median(good)
    return (f"goal: aplay's wall time within {AUDIO_GOAL:.2f}x the WAV's duration: "
            f"{'met' if med <= AUDIO_GOAL else 'NOT met'} ({med:.3f}x, median)")


def linux_sound_table(a, progress):
    """Debian's aplay under minivmm, real time; 0, or 1 if a run failed."""
    why, seconds = sound_ready(a.vmm)
    if why:
        print(f"\n(HD Audio, Linux: skipped: {why})")
        return 0
    n = max(3, a.runs)
    opts = f", minivmm options '{a.linux_vmm_opts}'" if a.linux_vmm_opts else ""
    print(f"\nHD Audio, Linux: aplay -D hw:0,0 of {SOUND_WAV} ({seconds:.3f} s) under minivmm{opts}, real time:")
    runs = []
    for i in range(1, n + 1):
        progress.run = f"sound run {i} of {n}"
        print(f"  {progress.run}...", end="", flush=True)
        runs.append(sound_run(a, progress))
        r = runs[-1]
        print(f" invalid: {r.error}" if r.error else f" aplay {r.aplay:.3f} s", flush=True)
    print(f"\nLinux sound, median [min-max] of {n} runs; invalid runs are left out")
    print("\n".join(sound_rows(runs, seconds)))
    print("(aplay wall s: host time from aplay's 'Playing WAVE' line (printed once it has read the WAV's header)\n"
          " to the script's 'aplay done' line (after aplay's drain and one fork of cut): the guest's clock\n"
          " lines (/proc/uptime, 10 ms steps) have none right before aplay. played s: the bytes minivmm's\n"
          " stream played, ALSA's padding of its last period included. exits/s: the difference of two\n"
          " 'stats' console escapes typed when those two lines arrived, over the host time between their\n"
          " statistics. CPU share: QEMU's user+sys (/proc, 10 ms steps) over aplay's wall time)")
    print(sound_goal(runs, seconds))
    failed = False
    for i, r in enumerate(runs, 1):
        if r.error:
            failed = True
            tail = "\n".join(r.output.splitlines()[-15:])
            print(f"\nbench: sound run {i} is invalid ({r.error}); its output ended with:\n{tail}")
    return 1 if failed else 0


def audio_part(a, progress, tiny=True, linux=True):
    """The audio part: tinykernel's table, then Linux's; 0, or 1 if a run failed."""
    status = tinykernel_audio_table(a, progress) if tiny else 0
    return (linux_sound_table(a, progress) if linux else 0) or status


def tcp_rmem(text):
    """--net-tcp-rmem: three byte counts (min, default, max; commas or spaces), or 'kernel'."""
    if text.strip() == "kernel":
        return ""
    words = text.replace(",", " ").split()
    if len(words) != 3 or not all(w.isdigit() and int(w) > 0 for w in words):
        raise argparse.ArgumentTypeError(f"three byte counts (min,default,max) or 'kernel' (got {text!r})")
    return " ".join(words)


def phase_list(text):
    """--phases: a comma-separated subset of PHASES, kept in PHASES' order."""
    chosen = {p.strip() for p in text.split(",") if p.strip()}
    unknown = chosen - set(PHASES)
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"phases are {', '.join(PHASES)} (got {text!r})")
    return tuple(p for p in PHASES if p in chosen)


def positive(text):
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError("needs at least 1 run")
    return n


def tinykernel_table(a):
    """Exit costs in instructions (deterministic, -icount); 0, or 1 if the bench program failed."""
    runs = {}
    for opts in sorted({row[3] for row in ROWS}):  # one QEMU run per set of options
        r = proc.run(qemu.command(a.vmm, a.guest, ["stats=off", *opts.split()], ["run=bench"], arch=a.arch), 120)
        runs[opts] = parse(r.output)
        status = qemu.exit_status(a.arch, r.status)
        if status != 0 or "call" not in runs[opts]:
            print(r.output[-2000:])
            print(f"bench: the bench program failed (status {status}, options '{opts}')", file=sys.stderr)
            return 1
    print(f"{'operation':<50} {'instructions':>12} {'baseline':>22} {'ratio':>6}")
    for name, what, base, opts in ROWS:
        got = runs[opts]
        if name in got:
            b = f"{got[base]:.1f} ({base})"
            print(f"{what:<50} {got[name]:>12.1f} {b:>22} {got[name] / got[base]:>5.0f}x")
    print("(instructions per operation including the loop; baseline: the same operation without an exit;\n"
          " -icount shift=0, deterministic; the 'dcache=off' row comes from a second run)")
    return 0


# tinykernel's bench-net program: "BENCH net-<what> <instructions x 100 per frame> <frames/s>".
NET_ROWS = [("net-tx", "transmit: 1514-byte frames, back to back"),
            ("net-rx", "receive: a 1 MiB TFTP read (each frame ACKed)")]


def parse_net(output):
    """{name: (instructions per frame, frames per second of guest time)} of a bench-net run."""
    return {m.group(1): (int(m.group(2)) / 100, int(m.group(3)))
            for m in re.finditer(r"^BENCH (net-\S+) (\d+) (\d+)$", output, re.M)}


def tinykernel_net_table(a):
    """The NE2000 under tinykernel: instructions per frame (-icount, deterministic) and frames
    per second of guest time (real time); 0, or 1 if bench-net failed."""
    got = {}
    for deterministic in (True, False):
        with netfix.Fixture(pathlib.Path("build/tmp"), secrets.token_hex(4)) as fix:
            argv = qemu.command(a.vmm, a.guest, ["stats=off"], ["run=bench-net", f"nonce={fix.nonce}"],
                                deterministic=deterministic, arch=a.arch, net=qemu.net_args("user", fix.path,
                                                                                            arch=a.arch))
            r = proc.run(argv, 120)
        got[deterministic] = parse_net(r.output)
        if qemu.exit_status(a.arch, r.status) != 0 or len(got[deterministic]) != len(NET_ROWS):
            print(r.output[-2000:])
            print("bench: the bench-net program failed", file=sys.stderr)
            return 1
    print(f"\n{'tinykernel on the NE2000':<50} {'instructions/frame':>18} {'frames/s':>10}")
    for name, what in NET_ROWS:
        print(f"{what:<50} {got[True][name][0]:>18,.0f} {got[False][name][1]:>10,}")
    print("(instructions: -icount shift=0, the guest's and minivmm's together; frames/s: guest clock, real time)")
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m grader.bench")
    ap.add_argument("--vmm", default="build/sol/minivmm.elf")
    ap.add_argument("--guest", default="build/guest/tinykernel.elf")
    ap.add_argument("--arch", default="arm", help="the architecture (its QEMU machine)")
    ap.add_argument("--runs", type=positive, default=5, help="Linux runs of each kind (default 5)")
    ap.add_argument("--phases", type=phase_list, default=PHASES, help=f"comma-separated subset of {','.join(PHASES)}")
    ap.add_argument("--linux-vmm-opts", default="", help="minivmm options of the Linux runs, e.g. 'idregs=native'")
    ap.add_argument("--linux-only", action="store_true", help="skip the tinykernel table")
    ap.add_argument("--tinykernel-only", action="store_true",
                    help="the tinykernel tables only (exit costs and, unless --no-net, the NE2000's frames; "
                    "unless --no-audio, lab6-tone's playback)")
    ap.add_argument("--out", default=str(PICTURES), help="folder of the pictures (default build/bench)")
    ap.add_argument("--no-icount", action="store_true", help="skip the Linux run under -icount")
    ap.add_argument("--no-net", action="store_true", help="skip the Linux network part")
    ap.add_argument("--net-only", action="store_true",
                    help="the Linux network part only (no tinykernel table, Linux workload or -icount run)")
    ap.add_argument("--no-audio", action="store_true", help="skip the HD Audio part (lab 6)")
    ap.add_argument("--audio-only", action="store_true",
                    help="the HD Audio part only: tinykernel's lab6-tone and Linux's aplay (with --tinykernel-only "
                    "or --linux-only, that side only)")
    ap.add_argument("--net-tcp-rmem", type=tcp_rmem, default=NET_RMEM, metavar="MIN,DEF,MAX",
                    help="the guest's TCP receive buffer in the network part (default "
                    f"{NET_RMEM.replace(' ', ',')}: a window the card's ring holds; 'kernel': the kernel's own)")
    a = ap.parse_args(argv)
    if a.no_net and a.net_only:
        ap.error("--no-net and --net-only leave nothing to run")
    if a.tinykernel_only and (a.linux_only or a.net_only):
        ap.error("--tinykernel-only leaves out what --linux-only and --net-only ask for")
    if a.no_audio and a.audio_only:
        ap.error("--no-audio and --audio-only leave nothing to run")
    if a.audio_only and a.net_only:
        ap.error("--audio-only and --net-only ask for different parts only")
    try:
        qemu.machine(a.arch)
        qemu.command(a.vmm, LINUX[0], a.linux_vmm_opts.split(), arch=a.arch)  # minivmm can take the options
    except (qemu.ArchError, ValueError) as e:
        print(f"bench: {e}", file=sys.stderr)
        return 2
    for p in (a.vmm,) if a.linux_only or a.net_only else (a.vmm, a.guest):
        if not pathlib.Path(p).is_file():
            print(f"bench: {p} is missing (make SOLUTIONS=1)", file=sys.stderr)
            return 2
    progress = Progress("tinykernel's table")
    try:
        status = 0
        if a.audio_only:
            return audio_part(a, progress, tiny=not a.linux_only, linux=not a.tinykernel_only)
        if not a.net_only:
            if not a.linux_only and (tinykernel_table(a) or (not a.no_net and tinykernel_net_table(a))):
                return 1
            if a.tinykernel_only:
                return 0 if a.no_audio else audio_part(a, progress, tiny=True, linux=False)
            status = linux_table(a, progress)
            if not status and not a.no_icount and not linux_ready():
                progress.run = "the -icount runs"
                status = icount_table(a)
        if not a.no_net:
            status = net_table(a, progress) or status
        if not a.no_audio and not a.net_only:
            status = audio_part(a, progress, tiny=not a.linux_only, linux=True) or status
        return status
    except KeyboardInterrupt:  # proc.run has already stopped that run's QEMU
        where = f", phase {current_phase(marks(progress.chunks))}" if progress.chunks else ""
        print(f"\nbench: interrupted during {progress.run}{where}; no QEMU left running", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
