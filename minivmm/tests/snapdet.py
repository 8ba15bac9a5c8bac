"""Determinism proof of minivmm's snapshot files: a guest restored at exit N prints what an uninterrupted run prints after exit N.

    python3 minivmm/tests/snapdet.py [--vmm build/sol/minivmm.elf] [--seed S] [--points K]
                                     [--programs lab4-timer,lab3-uart-tx,...] [--quick]

Under -icount (grader/qemu.py's deterministic runs), for each tinykernel program:

1. run it uninterrupted: its output, and its exit count E (minivmm's statistics);
2. for K exit numbers N drawn from [1, E) by a random generator seeded with S (printed, so
   that a failure can be run again), run it with snapshot=<file> snapshot-at=N: minivmm
   prints one marker line ("minivmm: snapshot at exit N written to ...") where it wrote the
   file, in the middle of the guest's output; without that line the output must be run 1's
   byte for byte (writing the file changes nothing the guest sees);
3. run minivmm with restore=<file>: after its marker line ("minivmm: restored snapshot ... at
   exit N") it must print exactly what run 1 printed after the point where run 2's marker
   stands, byte for byte.

The output compared ends with minivmm's exit-count line ("minivmm: <n> exits: ..."), restored
with the vCPU, and includes it, followed by lab 3's MMIO counts ("minivmm: MMIO: ..."), which the
guest can read and the VM's section restores; the other statistics (the decode cache's, buses, PCI,
NE2000) are not in a snapshot (docs/architecture/snapshots.rst). A program on the network (net "user",
the grader's test network with the same files in all three runs) is compared up to its
"guest powered off" line: frames arrive from QEMU's user network in real time, so the number
of exits spent waiting for them is not the same from run to run, while the guest's output is.
Exit status 0 if every comparison holds, 1 otherwise. Python standard library and grader/.
"""
import argparse
import pathlib
import random
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from grader import netfix, qemu  # noqa: E402

# (program, network): the UART (every line of every program), the timer and the GIC
# (lab4-timer, lab4-uart-irq's UART interrupt), VFP/NEON registers, the NE2000 and the PCI
# bus without a network (lab5-prom: reset, PROM by remote DMA) and with one (lab5-tx), and
# the HD Audio controller playing, paced by its device timer, with IOC interrupts (lab6-ioc).
PROGRAMS = {"lab4-timer": "", "lab3-uart-tx": "", "lab3-widths": "", "vfp-state": "", "lab5-prom": "",
            "lab5-tx": "user", "lab6-ioc": ""}
# Programs that busy-poll a device and print how often: the count measures the VMM's speed
# (each poll is an exit), not the guest's state, and a snapshot's few uncompensated
# instructions can move it by one. Their counts are masked, and they are compared up to
# their power-off line (the exit counts that follow count the polls too).
POLLS = {"lab6-ioc": re.compile(rb"LPIB read \d+ times")}
QUICK = ["lab4-timer", "lab5-prom"]
TIMEOUT = 120
SAVED = re.compile(rb"minivmm: snapshot at exit (\d+) written to '[^']*': [^\n]*\n")
RESTORED = re.compile(rb"minivmm: restored snapshot '[^']*' at exit (\d+): [^\n]*\n")
EXITS = re.compile(rb"^minivmm: (\d+) exits: [^\n]*\n", re.M)
OFF = re.compile(rb"^minivmm: guest powered off [^\n]*\n", re.M)
MMIO = re.compile(rb"^minivmm: MMIO: [^\n]*\n", re.M)


class Mismatch(Exception):
    """A comparison that does not hold: the message says which and where."""


class Ended(Exception):
    """On the network, the run meant to write the snapshot ended before its exit: that run
    waited less for frames than the first. args[0] is its own exit count."""


def run(vmm, guest, opts, args, net, fixture):
    """One QEMU run under -icount: its whole output, as bytes."""
    net_argv = qemu.net_args(net, fixture.path if fixture else None) if net else qemu.net_args("")
    argv = qemu.command(vmm, guest, opts, args, deterministic=True, net=net_argv)
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=TIMEOUT, start_new_session=True, check=False)
    return r.stdout


def region(out, net):
    """What is compared: the output through the exit-count line and lab 3's MMIO counts
    (restored with the VM: the guest can read them) (with a network, or a polling program
    (net is then "polls"): through the power-off line)."""
    m = (OFF if net else EXITS).search(out)
    if not m:
        raise Mismatch(f"no {'power-off' if net else 'exit-count'} line in the output")
    mmio = None if net else MMIO.search(out, m.end())
    return out[:m.end()] + (mmio.group(0) if mmio else b"")


def masked(out, program):
    """out with a polling program's poll counts replaced (POLLS)."""
    return POLLS[program].sub(b"<polls>", out) if program in POLLS else out


def first_difference(a, b):
    """A few words on where a and b part."""
    i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
    return (f"they part at byte {i} of {len(a)} and {len(b)}: "
            f"{a[max(0, i - 40):i + 40]!r} against {b[max(0, i - 40):i + 40]!r}")


def marker(pattern, out, n, what):
    m = pattern.search(out)
    if not m:
        raise Mismatch(f"no {what} line: {out[-300:]!r}")
    if int(m.group(1)) != n:
        raise Mismatch(f"the {what} line says exit {int(m.group(1))}, not {n}")
    return m


def watched(snap):
    """Options that make runs 1 and 3 pay what run 2 pays for its snapshot= and snapshot-at=:
    with them minivmm's run loop watches every exit (core/run.c), which costs the guest time
    under -icount, and a guest that counts its polls of a device (lab 6's LPIB) would print
    other counts. This snapshot point is never reached."""
    return [f"snapshot={snap}.never", "snapshot-at=4294967295"]


def one_point(vmm, guest, args, net, fixture, whole, n, snap, program):
    """Runs 2 and 3 at exit n against run 1's output whole (masked)."""
    loose = net or ("polls" if program in POLLS else "")
    saved = masked(run(vmm, guest, [f"snapshot={snap}", f"snapshot-at={n}"], args, net, fixture), program)
    ran = EXITS.search(saved)
    if net and not SAVED.search(saved) and ran and int(ran.group(1)) < n:
        raise Ended(int(ran.group(1)))
    m = marker(SAVED, saved, n, "snapshot")
    before, after = saved[:m.start()], saved[m.end():]
    if region(before + after, loose) != whole:
        raise Mismatch(f"with the snapshot written the output is not the same: "
                       f"{first_difference(whole, region(before + after, loose))}")
    restored = masked(run(vmm, guest, [f"restore={snap}", *watched(snap)], args, net, fixture), program)
    m = marker(RESTORED, restored, n, "restore")
    got, want = region(restored[m.end():], loose), whole[len(before):]
    if got != want:
        raise Mismatch(f"restored, the output after exit {n} differs: {first_difference(want, got)}")
    return len(want)


def one_program(vmm, guest, program, net, rng, points, tmp):
    nonce = f"{rng.getrandbits(32):08x}"
    args = [f"run={program}", f"nonce={nonce}"]
    fixture = netfix.Fixture(tmp, nonce, secret=bytes(16)) if net else None
    try:
        first = masked(run(vmm, guest, watched(pathlib.Path(tmp) / "snap"), args, net, fixture), program)
        whole = region(first, net or ("polls" if program in POLLS else ""))
        exits = int(EXITS.search(first).group(1))
        if exits < 2:
            raise Mismatch(f"{exits} exits: nowhere to take a snapshot")
        for n in sorted(rng.sample(range(1, exits), min(points, exits - 1))):
            for _ in range(3):  # on the network a run may end sooner: a point within it instead
                try:
                    compared = one_point(vmm, guest, args, net, fixture, whole, n, pathlib.Path(tmp) / "snap",
                                         program)
                    break
                except Ended as e:
                    print(f"snapdet: {program}: the run ended at exit {e.args[0]}, before exit {n}: another point",
                          flush=True)
                    n = rng.randrange(1, max(2, e.args[0]))
            else:
                raise Mismatch("three runs ended before their snapshot point")
            print(f"snapdet: {program}: snapshot at exit {n} of {exits}: restored output identical "
                  f"({compared} bytes after the snapshot)", flush=True)
    finally:
        if fixture:
            fixture.remove()


def main(argv=None):
    ap = argparse.ArgumentParser(prog="minivmm/tests/snapdet.py", description=__doc__.splitlines()[0])
    ap.add_argument("--vmm", default=str(ROOT / "build/sol/minivmm.elf"))
    ap.add_argument("--guest", default=str(ROOT / "build/guest/tinykernel.elf"))
    ap.add_argument("--seed", type=int, default=None, help="the random exits' seed (default: a new one)")
    ap.add_argument("--points", type=int, default=3, help="exits to snapshot at, per program")
    ap.add_argument("--programs", help="comma-separated: " + ",".join(PROGRAMS))
    ap.add_argument("--quick", action="store_true", help="only " + ", ".join(QUICK))
    a = ap.parse_args(argv)
    names = a.programs.split(",") if a.programs else QUICK if a.quick else list(PROGRAMS)
    unknown = [p for p in names if p not in PROGRAMS]
    if unknown:
        ap.error(f"unknown program(s) {', '.join(unknown)}: known are {', '.join(PROGRAMS)}")
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 32)
    print(f"snapdet: seed {seed} (--seed {seed} runs the same exits again)", flush=True)
    rng = random.Random(seed)
    failed = 0
    with tempfile.TemporaryDirectory(prefix="snapdet-") as tmp:
        for program in names:
            try:
                one_program(a.vmm, a.guest, program, PROGRAMS[program], rng, a.points, tmp)
            except (Mismatch, subprocess.TimeoutExpired) as e:
                print(f"snapdet: {program}: FAIL: {e}", flush=True)
                failed += 1
    print(f"snapdet: {len(names) - failed} of {len(names)} programs restore deterministically (seed {seed})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
