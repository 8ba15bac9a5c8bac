"""`make bench`: what minivmm costs. First the cost of each exit kind in instructions, measured
side by side in one run under -icount; then Debian's Linux running a workload (boot, fork,
cpu, md5) directly on QEMU and under minivmm, in wall time, with minivmm's exits.

tinykernel's bench program times each operation with the guest's virtual counter;
with -icount shift=0 the virtual clock advances 1 ns per executed instruction (guest
and VMM alike), so the figures are instruction counts, identical from run to run.
The Linux phases are timed on the host, from the arrival of each phase's begin line
to its end line (what a user feels), in real time: they vary from run to run, so the
runs alternate and the table shows medians with their range."""
import argparse
import concurrent.futures
import dataclasses
import pathlib
import re
import statistics
import sys

from . import proc, qemu

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


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m grader.bench")
    ap.add_argument("--vmm", default="build/sol/minivmm.elf")
    ap.add_argument("--guest", default="build/guest/tinykernel.elf")
    ap.add_argument("--arch", default="arm", help="the architecture (its QEMU machine)")
    ap.add_argument("--runs", type=positive, default=5, help="Linux runs of each kind (default 5)")
    ap.add_argument("--phases", type=phase_list, default=PHASES, help=f"comma-separated subset of {','.join(PHASES)}")
    ap.add_argument("--linux-vmm-opts", default="", help="minivmm options of the Linux runs, e.g. 'idregs=native'")
    ap.add_argument("--linux-only", action="store_true", help="skip the tinykernel table")
    ap.add_argument("--out", default=str(PICTURES), help="folder of the pictures (default build/bench)")
    ap.add_argument("--no-icount", action="store_true", help="skip the Linux run under -icount")
    a = ap.parse_args(argv)
    try:
        qemu.machine(a.arch)
        qemu.command(a.vmm, LINUX[0], a.linux_vmm_opts.split(), arch=a.arch)  # minivmm can take the options
    except (qemu.ArchError, ValueError) as e:
        print(f"bench: {e}", file=sys.stderr)
        return 2
    for p in (a.vmm,) if a.linux_only else (a.vmm, a.guest):
        if not pathlib.Path(p).is_file():
            print(f"bench: {p} is missing (make SOLUTIONS=1)", file=sys.stderr)
            return 2
    progress = Progress("tinykernel's table")
    try:
        if not a.linux_only and tinykernel_table(a):
            return 1
        status = linux_table(a, progress)
        if not status and not a.no_icount and not linux_ready():
            progress.run = "the -icount runs"
            status = icount_table(a)
        return status
    except KeyboardInterrupt:  # proc.run has already stopped that run's QEMU
        where = f", phase {current_phase(marks(progress.chunks))}" if progress.chunks else ""
        print(f"\nbench: interrupted during {progress.run}{where}; no QEMU left running", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
