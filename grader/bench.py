"""`make bench`: the cost of each exit kind in instructions, measured side by side in one run under -icount.

tinykernel's bench program times each operation with the guest's virtual counter;
with -icount shift=0 the virtual clock advances 1 ns per executed instruction (guest
and VMM alike), so the figures are instruction counts, identical from run to run."""
import argparse
import pathlib
import re
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
LINUX_ARGS = "console=ttyAMA0 minivmm.test"


def linux_boot(vmm, arch):
    """Debian's kernel to its init banner, directly on QEMU's virt board and under
    minivmm on the same QEMU (real time, no icount: a wall-clock comparison)."""
    if not all(pathlib.Path(p).is_file() for p in LINUX):
        print("(Linux boot: run 'make linux' first to compare it)")
        return
    direct = qemu.linux_command(LINUX[0], LINUX[1], LINUX_ARGS, arch=arch)
    under = qemu.command(vmm, LINUX[0], ["mem=128", f"initrd={LINUX[1]}"], LINUX_ARGS.split(),
                         deterministic=False, arch=arch)
    times, exits = {}, ""
    for name, argv in (("direct on QEMU virt", direct), ("under minivmm", under)):
        r = proc.run(argv, 180, stdin=b"x\n", stdin_after=b"type a line", banner=BANNER)
        times[name] = r.banner_at
        exits = next((l for l in r.output.splitlines() if " exits: " in l), exits)
    print(f"\n{'Linux boot to the init banner (wall time)':<50} {'seconds':>12}")
    for name, t in times.items():
        print(f"  {name:<48} {t:>12.2f}" if t else f"  {name:<48} {'no banner':>12}")
    if all(times.values()):
        a, b = times.values()
        print(f"  {'ratio':<48} {b / a:>11.2f}x")
    print(f"  {exits.strip()}")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m grader.bench")
    ap.add_argument("--vmm", default="build/sol/minivmm.elf")
    ap.add_argument("--guest", default="build/guest/tinykernel.elf")
    ap.add_argument("--arch", default="arm", help="the architecture (its QEMU machine)")
    a = ap.parse_args(argv)
    try:
        qemu.machine(a.arch)
    except qemu.ArchError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 2
    for p in (a.vmm, a.guest):
        if not pathlib.Path(p).is_file():
            print(f"bench: {p} is missing (make SOLUTIONS=1)", file=sys.stderr)
            return 2
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
    linux_boot(a.vmm, a.arch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
