"""`make bench`: the cost of each exit kind in instructions, measured side by side in one run under -icount.

tinykernel's bench program times each operation with the guest's virtual counter;
with -icount shift=0 the virtual clock advances 1 ns per executed instruction (guest
and VMM alike), so the figures are instruction counts, identical from run to run."""
import argparse
import pathlib
import re
import sys

from . import proc, qemu

ROWS = [  # (result name, what it is, the guest-only baseline it is compared with)
    ("hvc", "hypercall round trip (HVC, MV_HC_NOP)", "call"),
    ("wfi", "trapped WFI (lab 1)", "call"),
    ("undef", "trapped CP15 read, undefined injected (lab 1)", "call"),
    ("s2fault", "stage-2 fault, data abort injected (lab 2)", "call"),
]


def parse(output):
    return {m.group(1): int(m.group(2)) / 100 for m in re.finditer(r"^BENCH (\S+) (\d+)$", output, re.M)}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m grader.bench")
    ap.add_argument("--vmm", default="build/sol/minivmm.elf")
    ap.add_argument("--guest", default="build/guest/tinykernel.elf")
    a = ap.parse_args(argv)
    for p in (a.vmm, a.guest):
        if not pathlib.Path(p).is_file():
            print(f"bench: {p} is missing (make SOLUTIONS=1)", file=sys.stderr)
            return 2
    r = proc.run(qemu.command(a.vmm, a.guest, ["stats=off"], ["run=bench"]), 120)
    got = parse(r.output)
    if r.status != 0 or "call" not in got:
        print(r.output[-2000:])
        print(f"bench: the bench program failed (status {r.status})", file=sys.stderr)
        return 1
    base = got["call"]
    print(f"{'operation':<50} {'instructions':>12} {'plain call':>10} {'ratio':>8}")
    for name, what, _ in ROWS:
        if name in got:
            print(f"{what:<50} {got[name]:>12.1f} {base:>10.1f} {got[name] / base:>7.0f}x")
    print("(instructions per operation including the loop; -icount shift=0, one run, deterministic)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
