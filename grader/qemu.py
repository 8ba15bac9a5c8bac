"""Runs minivmm with a guest on QEMU: the one place that knows the QEMU command line.

Used by `make run`, `make qemu`, `make qemu-gdb` and the grader."""
import argparse
import os
import pathlib
import subprocess
import sys

from .proc import run

QEMU = os.environ.get("QEMU", "qemu-system-arm")
MACHINE = ["-M", "virt,virtualization=on,gic-version=2", "-cpu", "cortex-a15", "-m", "512",
           "-nographic", "-no-reboot"]
# Deterministic time: the virtual clock follows executed instructions and idle time is skipped.
ICOUNT = ["-icount", "shift=0,sleep=off"]


def command(vmm, guest, vmm_opts=(), guest_args=(), deterministic=True, gdb=False,
            interactive=False):
    """The QEMU argv for minivmm booting guest, with minivmm's own command line passed
    through semihosting (SYS_GET_CMDLINE sees "minivmm <vmm_opts> <guest> <guest_args>").
    Interactive runs multiplex QEMU's monitor on the terminal (Ctrl-A x quits)."""
    words = ["minivmm", *vmm_opts, str(guest), *guest_args]
    for w in words:
        if "," in w or not w:
            raise ValueError(f"argument {w!r}: minivmm arguments cannot be empty or contain ','")
    semihosting = "enable=on,target=native" + "".join(f",arg={w}" for w in words)
    console = ["-serial", "mon:stdio"] if interactive else ["-serial", "stdio", "-monitor", "none"]
    argv = [QEMU, *MACHINE, *console, "-semihosting-config", semihosting, "-kernel", str(vmm)]
    if deterministic:
        argv += ICOUNT
    if gdb:  # GDB's stub listens on this machine only
        argv += ["-gdb", "tcp:127.0.0.1:1234", "-S"]
    return argv


def linux_command(kernel, initrd, append, mem_mib=128):
    """The QEMU argv that boots a Linux zImage directly on the virt board, without
    minivmm: the same CPU and GIC, no Virtualization Extensions, real time (the
    bench's baseline for Linux under minivmm)."""
    return [QEMU, "-M", "virt,gic-version=2", "-cpu", "cortex-a15", "-m", str(mem_mib), "-nographic",
            "-no-reboot", "-serial", "stdio", "-monitor", "none", "-kernel", str(kernel),
            "-initrd", str(initrd), "-append", append]


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m grader.qemu",
                                 description="Boot a guest under minivmm on QEMU.")
    ap.add_argument("--vmm", required=True, help="minivmm ELF")
    ap.add_argument("--guest", required=True, help="guest ELF (a host file minivmm reads)")
    ap.add_argument("--vmm-opts", default="", help="minivmm options, e.g. 'trace=exits'")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--interactive", action="store_true", help="terminal attached, real time")
    ap.add_argument("--gdb", action="store_true", help="wait for GDB on localhost:1234")
    ap.add_argument("guest_args", nargs="*", help="guest boot arguments, e.g. run=demo")
    a = ap.parse_args(argv)
    for path in (a.vmm, a.guest):
        if not pathlib.Path(path).is_file():
            print(f"qemu: {path} does not exist (build it with 'make')", file=sys.stderr)
            return 2
    try:
        cmd = command(a.vmm, a.guest, a.vmm_opts.split(), a.guest_args,
                      deterministic=not a.interactive, gdb=a.gdb, interactive=a.interactive)
    except ValueError as e:
        print(f"qemu: {e}", file=sys.stderr)
        return 2
    if a.interactive:
        if a.gdb:
            print("qemu: waiting for GDB on localhost:1234 (run 'make gdb' in another terminal); "
                  "quit QEMU with Ctrl-A x")
        else:
            print("qemu: quit with Ctrl-A x")
        try:
            return subprocess.call(cmd)
        except KeyboardInterrupt:  # Ctrl-C reaches QEMU too, which ends the run
            return 130
    r = run(cmd, a.timeout, echo=True)
    if r.timed_out:
        print(f"\nqemu: stopped after the {a.timeout:g} s timeout", file=sys.stderr)
        return 124
    if r.status:
        print(f"qemu: minivmm exited with status {r.status}", file=sys.stderr)
    return r.status


if __name__ == "__main__":
    sys.exit(main())
