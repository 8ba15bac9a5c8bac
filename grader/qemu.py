"""Runs minivmm with a guest on QEMU: the one place that knows the QEMU command line.

Used by `make run`, `make qemu`, `make qemu-gdb` and the grader. Each architecture's
board is one entry of MACHINES; the QEMU environment variable names another QEMU
program."""
import argparse
import dataclasses
import os
import pathlib
import shlex
import subprocess
import sys
from typing import Callable

from .manifest import NET_MODES  # a test's `net`: "" none, "user" QEMU's user networking
from .proc import run


class ArchError(ValueError):
    """An architecture that has no QEMU machine here (yet)."""


def _semihosting(vmm, words):
    """ARM: minivmm is QEMU's -kernel and reads its command line through semihosting
    (SYS_GET_CMDLINE sees the words joined by spaces); each word is one arg=."""
    for w in words:
        if "," in w or not w:
            raise ValueError(f"argument {w!r}: minivmm arguments cannot be empty or contain ','")
    return ["-semihosting-config", "enable=on,target=native" + "".join(f",arg={w}" for w in words),
            "-kernel", str(vmm)]


def _multiboot(vmm, words):
    """x86: minivmm is QEMU's multiboot -kernel; its command line is the multiboot command line
    (QEMU puts the kernel's path first, where minivmm skips the program name), and the host files
    it reads are multiboot modules named by their path: the guest image (the first word after the
    options, which have an '=') and the files that initrd=, dtb= and restore= name."""
    for w in words:
        if not w or any(c.isspace() for c in w):
            raise ValueError(f"argument {w!r}: minivmm arguments cannot be empty or contain spaces")
    opts = [w for w in words[1:] if "=" in w]
    guest = [w for w in words[1:] if "=" not in w][:1]
    files = guest + [w.split("=", 1)[1] for w in opts if w.split("=", 1)[0] in ("initrd", "dtb", "restore")]
    argv = ["-kernel", str(vmm), "-append", " ".join(words[1:])]
    if files:
        argv += ["-initrd", ",".join(_opt(f) for f in files)]
    return argv


# x86: minivmm writes its status + 1 to isa-debug-exit (port 0xf4), which ends QEMU with
# ((status + 1) << 1) | 1: 3, 5, 7... An even status or 1 is QEMU's own (0: the machine shut down
# without minivmm's word, as a triple fault in minivmm does with -no-reboot, or the monitor's quit;
# 1: QEMU's error), which becomes 128 + that status, never one of minivmm's (0-126).
def _debug_exit_status(status):
    if status < 0:  # a signal
        return status
    if status & 1 and status >= 3:
        return (status >> 1) - 1
    return 128 + status


@dataclasses.dataclass(frozen=True)
class Machine:
    """How QEMU runs minivmm for one architecture."""
    qemu: str                  # the QEMU program (the QEMU environment variable overrides it)
    board: tuple               # machine, CPU, memory: the board minivmm runs on
    bare_board: tuple          # the same board for a guest without minivmm (make bench's Linux baseline)
    boot: Callable             # (vmm, words) -> the arguments that load minivmm with its command line
    exit_status: Callable      # QEMU's exit status -> minivmm's
    bare_pci: str = ""         # what the bare board's machine option needs for a guest's PCI NIC
    host_nic: str = ""         # the QEMU device minivmm drives as its own NIC (a test's network)


MACHINES = {
    "arm": Machine(
        qemu="qemu-system-arm",
        board=("-M", "virt,virtualization=on,gic-version=2", "-cpu", "cortex-a15", "-m", "512",
               "-nographic", "-no-reboot"),
        bare_board=("-M", "virt,gic-version=2", "-cpu", "cortex-a15"),
        boot=_semihosting,
        exit_status=lambda status: status,  # semihosting's SYS_EXIT: QEMU exits with minivmm's status
        # Debian's armmp kernel has no LPAE: the PCI ECAM must sit below 4 GiB (0x3f000000),
        # as in minivmm's guest platform
        bare_pci="highmem=off",
        # on the last virtio-mmio transport (0x0a003e00), legacy (v1) unless told otherwise
        host_nic="virtio-net-device"),
    # The x86 track's first milestone (minivmm/arch/x86/): AMD SVM with nested paging under TCG,
    # minivmm's console on COM1, its exit status through isa-debug-exit. No host NIC yet.
    "x86": Machine(
        qemu="qemu-system-x86_64",
        board=("-M", "pc", "-cpu", "qemu64,+svm,+npt", "-m", "512", "-display", "none", "-vga", "none", "-no-reboot",
               "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"),
        bare_board=("-M", "pc", "-cpu", "qemu64"),
        boot=_multiboot,
        exit_status=_debug_exit_status),
}
# Architectures the kit plans but has no QEMU machine for yet: why, for the message.
NOT_YET = {}
# Deterministic time: the virtual clock follows executed instructions and idle time is skipped.
ICOUNT = ["-icount", "shift=0,sleep=off"]


def machine(arch):
    """The QEMU machine of arch, or ArchError saying why there is none."""
    if arch in MACHINES:
        return MACHINES[arch]
    ports = ", ".join(MACHINES)
    if arch in NOT_YET:
        raise ArchError(f"arch {arch}: {NOT_YET[arch]}; QEMU machines exist for: {ports}")
    raise ArchError(f"unknown arch {arch!r}: QEMU machines exist for: {ports}")


def program(m):
    return os.environ.get("QEMU", m.qemu)


def exit_status(arch, status):
    """minivmm's exit status from QEMU's (None, a timeout, stays None)."""
    return status if status is None else machine(arch).exit_status(status)


# Where the guest finds the grader's HTTP responder (grader/netserve.py) on a test's network;
# slirp's own host (gateway, TFTP server) is 10.0.2.2, the guest is 10.0.2.15.
NET_HTTP = ("10.0.2.100", 80)
NETSERVE = pathlib.Path(__file__).resolve().parent / "netserve.py"


def _opt(value):
    """A value inside a QEMU option list: commas doubled (QEMU's escape)."""
    return str(value).replace(",", ",,")


def net_args(net="", fixture=None, pcap=None, device=None, arch="arm"):
    """The QEMU arguments of a run's network. net "": none (-nic none: without it, or any
    other network option, QEMU's virt board adds a virtio-net-pci NIC on unrestricted user
    networking). net "user": -nic none, a user-networking backend n0 and device (default:
    the NIC minivmm drives on arch's board, Machine.host_nic) on it. With fixture (a folder
    of grader/netfix.py) the network is isolated (restrict=on: nothing leaves the host
    QEMU runs on) and serves fixture/tftp by TFTP at 10.0.2.2 and fixture/http by HTTP at
    NET_HTTP (grader/netserve.py, one process per connection); without, the guest reaches
    the outside world as QEMU's own users do (interactive runs). pcap: a file that gets
    every frame of n0 (filter-dump)."""
    if net not in NET_MODES:
        raise ValueError(f"network {net!r}: modes are {', '.join(repr(n) for n in NET_MODES)}")
    if not net:
        if fixture or pcap or device:
            raise ValueError("a run without a network has no fixture, pcap or device")
        return ["-nic", "none"]
    backend = "user,id=n0"
    if fixture:
        fixture = pathlib.Path(fixture).resolve()
        host, port = NET_HTTP
        serve = " ".join(shlex.quote(str(w)) for w in (sys.executable or "python3", NETSERVE, fixture / "http"))
        backend += (f",restrict=on,tftp={_opt(fixture / 'tftp')}"
                    f",guestfwd=tcp:{host}:{port}-cmd:{_opt(serve)}")
    argv = ["-nic", "none", "-netdev", backend, "-device", f"{device or machine(arch).host_nic},netdev=n0"]
    if pcap:
        argv += ["-object", f"filter-dump,id=f0,netdev=n0,file={_opt(pcap)}"]
    return argv


def command(vmm, guest, vmm_opts=(), guest_args=(), deterministic=True, gdb=False,
            interactive=False, arch="arm", net=None):
    """The QEMU argv for minivmm booting guest on arch's board, with minivmm's own command
    line "minivmm <vmm_opts> <guest> <guest_args>" passed as the machine passes it (on ARM,
    through semihosting). Interactive runs multiplex QEMU's monitor on the terminal
    (Ctrl-A x quits). net: the network's arguments (net_args()); None leaves QEMU's
    default (on ARM's virt board a virtio-net-pci NIC minivmm does not use)."""
    m = machine(arch)
    words = ["minivmm", *vmm_opts, str(guest), *guest_args]
    console = ["-serial", "mon:stdio"] if interactive else ["-serial", "stdio", "-monitor", "none"]
    argv = [program(m), *m.board, *console, *m.boot(vmm, words)]
    if net is not None:
        argv += net
    if deterministic:
        argv += ICOUNT
    if gdb:  # GDB's stub listens on this machine only
        argv += ["-gdb", "tcp:127.0.0.1:1234", "-S"]
    return argv


def linux_command(kernel, initrd, append, mem_mib=128, arch="arm", net=None):
    """The QEMU argv that boots a Linux kernel directly on arch's board, without
    minivmm: on ARM the same CPU and GIC, no Virtualization Extensions, real time (the
    bench's baseline for Linux under minivmm). net: the network's arguments (net_args(),
    e.g. with device="ne2k_pci"): the board then puts its PCI bus where the kernel
    reaches it (Machine.bare_pci), as minivmm's guest platform does; None leaves QEMU's
    default."""
    m = machine(arch)
    board = list(m.bare_board)
    if net is not None and m.bare_pci:
        i = board.index("-M") + 1
        board[i] += "," + m.bare_pci
    return [program(m), *board, "-m", str(mem_mib), "-nographic",
            "-no-reboot", "-serial", "stdio", "-monitor", "none", "-kernel", str(kernel),
            "-initrd", str(initrd), "-append", append, *(net or [])]


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m grader.qemu",
                                 description="Boot a guest under minivmm on QEMU.")
    ap.add_argument("--vmm", required=True, help="minivmm ELF")
    ap.add_argument("--guest", required=True, help="guest ELF (a host file minivmm reads)")
    ap.add_argument("--vmm-opts", default="", help="minivmm options, e.g. 'trace=exits'")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--interactive", action="store_true", help="terminal attached, real time")
    ap.add_argument("--gdb", action="store_true", help="wait for GDB on localhost:1234")
    ap.add_argument("--arch", default="arm", help="the architecture, whose QEMU machine boots minivmm "
                    f"(default arm; machines: {', '.join(MACHINES)})")
    ap.add_argument("--net", choices=("none", "user"), default="none",
                    help="none (default), or user: QEMU's user networking on the NIC minivmm drives, "
                    "open to the outside world as for QEMU's own users")
    ap.add_argument("guest_args", nargs="*", help="guest boot arguments, e.g. run=demo")
    a = ap.parse_args(argv)
    try:
        machine(a.arch)
    except ArchError as e:
        print(f"qemu: {e}", file=sys.stderr)
        return 2
    for path in (a.vmm, a.guest):
        if not pathlib.Path(path).is_file():
            print(f"qemu: {path} does not exist (build it with 'make')", file=sys.stderr)
            return 2
    try:
        cmd = command(a.vmm, a.guest, a.vmm_opts.split(), a.guest_args,
                      deterministic=not a.interactive, gdb=a.gdb, interactive=a.interactive,
                      arch=a.arch, net=net_args("" if a.net == "none" else a.net, arch=a.arch))
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
            return exit_status(a.arch, subprocess.call(cmd))
        except KeyboardInterrupt:  # Ctrl-C reaches QEMU too, which ends the run
            return 130
    r = run(cmd, a.timeout, echo=True)
    if r.timed_out:
        print(f"\nqemu: stopped after the {a.timeout:g} s timeout", file=sys.stderr)
        return 124
    status = exit_status(a.arch, r.status)
    if status:
        print(f"qemu: minivmm exited with status {status}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
