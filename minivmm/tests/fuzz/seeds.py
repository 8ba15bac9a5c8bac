"""Writes the fuzz targets' seed corpora, minivmm/tests/fuzz/corpus/<target>/ (Python standard library only).

    python3 minivmm/tests/fuzz/seeds.py [--only fdt,elf,...]

Each seed is a small valid input (and a few near misses) that gets a target
past its first checks: command lines, ELF and zImage files, device trees,
programs for the device targets in their input format (see the comment above
each target's LLVMFuzzerTestOneInput; keep the encoders below in step), and
snapshots and snapshot files, which build/fuzz/snapshot and build/fuzz/snapfile
write themselves with minivmm's own code (FUZZ_WRITE_SEEDS=<folder>; build them
first: make fuzz-bins FUZZ_TARGETS="snapshot snapfile").
The corpora are checked in; run this again when an input format changes.
"""
import argparse
import os
import pathlib
import shutil
import struct
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CORPUS = HERE / "corpus"

RAM = 0x40000000
MIB = 1 << 20


def write(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


# ---- cmdline: one byte, the size of the message buffer, then the line.

def cmdline():
    lines = {
        "demo": "minivmm build/guest/tinykernel.elf run=demo",
        "every-option": "minivmm trace=exits stats=off mem=32 dcache=off idregs=native initrd=build/linux/i.cpio "
                        "dtb=build/guest.dtb dtb-out=build/out.dtb snapshot-test=1000 snapshot=/tmp/s.snap "
                        "snapshot-at=5000 build/linux/zImage console=ttyAMA0 earlycon",
        "restore": "minivmm mem=128 restore=/tmp/s.snap snapshot=/tmp/t.snap snapshot-at=guest",
        "help": "minivmm help",
        "unknown": "minivmm colour=blue guest.elf",
        "bad-value": "minivmm mem=129 guest.elf",
        "no-guest": "minivmm mem=16 trace=none",
        "tabs": "minivmm\tmem=8\t\tguest.elf  a\t b",
        "long-word": "minivmm " + "d" * 300 + " x",
        "long-args": "minivmm guest.elf " + " ".join(["arg"] * 80),
    }
    for name, line in lines.items():
        write("cmdline", name, bytes([255]) + line.encode())
    write("cmdline", "short-message", bytes([12]) + b"minivmm nosuch=1 g")


# ---- elf and zimage: small images for the loaders' RAM at 0x40000000 (64 KiB; 36 KiB for zImages).

def elf(entry, segments):
    """An ARM ET_EXEC ELF32: segments are (type, paddr, data, memsz)."""
    phoff, n = 52, len(segments)
    data_at = phoff + 32 * n
    header = bytearray(b"\x7fELF\x01\x01\x01" + bytes(9))
    header += struct.pack("<HHIIIIIHHHHHH", 2, 40, 1, entry, phoff, 0, 0x5000200, 52, 32, n, 40, 0, 0)
    phdrs, blobs = b"", b""
    for ptype, paddr, blob, memsz in segments:
        phdrs += struct.pack("<8I", ptype, data_at + len(blobs), paddr, paddr, len(blob), memsz, 7, 4)
        blobs += blob
    return bytes(header) + phdrs + blobs


def elves():
    code = bytes(range(64))
    write("elf", "one-segment.elf", elf(RAM + 0x1000, [(1, RAM + 0x1000, code, 0x80)]))
    write("elf", "two-and-a-note.elf", elf(RAM + 0x2010, [(1, RAM + 0x1000, code, 0x40), (4, 0, b"NOTE", 4),
                                                          (1, RAM + 0x2000, code[:32], 0x400)]))
    write("elf", "bss-only.elf", elf(RAM + 0x8000, [(1, RAM + 0x8000, b"", 0x1000)]))
    write("elf", "over-the-vmm.elf", elf(RAM + 0xbf00, [(1, RAM + 0xbf00, code, 0x200)]))
    write("elf", "outside-ram.elf", elf(RAM + 0xff00, [(1, RAM + 0xff00, code, 0x200)]))
    write("elf", "truncated.elf", elf(RAM + 0x1000, [(1, RAM + 0x1000, code, 0x80)])[:100])


def zimage(size, end=None):
    img = bytearray((i * 7) & 0xff for i in range(size))
    img[0x24:0x30] = struct.pack("<III", 0x016f2818, 0, size if end is None else end)
    return bytes(img)


def zimages():
    write("zimage", "small", zimage(0x100))
    write("zimage", "largest", zimage(0x1000))
    write("zimage", "too-big", zimage(0x1004))
    write("zimage", "header-lies", zimage(0x80, end=0x100))


# ---- fdt: device trees as minivmm's writer lays them out (version 17), and variants.

class Fdt:
    """A DTB writer: nodes are (name, [(prop, bytes)], [children])."""

    def __init__(self):
        self.strings = b""

    def string(self, name):
        key = name.encode() + b"\0"
        at = self.strings.find(key)
        if at < 0 or (at and self.strings[at - 1] != 0):
            at = len(self.strings)
            self.strings += key
        return at

    def node(self, name, props, children):
        out = struct.pack(">I", 1) + pad(name.encode() + b"\0")
        for prop, value in props:
            out += struct.pack(">III", 3, len(value), self.string(prop)) + pad(value)
        for child in children:
            out += self.node(*child)
        return out + struct.pack(">I", 2)

    def blob(self, root, version=17, reserve=()):
        structure = self.node(*root) + struct.pack(">I", 9)
        rsv = b"".join(struct.pack(">QQ", a, s) for a, s in reserve) + bytes(16)
        off_rsv, off_struct = 40, 40 + len(rsv)
        off_strings = off_struct + len(structure)
        total = off_strings + len(self.strings)
        header = struct.pack(">10I", 0xd00dfeed, total, off_struct, off_strings, off_rsv, version, 16, 0,
                             len(self.strings), len(structure))
        return header + rsv + structure + self.strings


def pad(b):
    return b + bytes(-len(b) % 4)


def u32(*cells):
    return b"".join(struct.pack(">I", c) for c in cells)


def s(text):
    return text.encode() + b"\0"


def tree(memory_reg, cells=(1, 1), chosen=True, extra=()):
    cpus = ("cpus", [("#address-cells", u32(1)), ("#size-cells", u32(0))],
            [("cpu@0", [("device_type", s("cpu")), ("compatible", s("arm,cortex-a15")), ("reg", u32(0))], [])])
    children = []
    if chosen:
        children.append(("chosen", [("bootargs", s("run=hello")), ("stdout-path", s("/pl011@9000000"))], []))
    children += [("memory@40000000", [("reg", memory_reg), ("device_type", s("memory"))], []), cpus,
                 ("pl011@9000000", [("compatible", b"arm,pl011\0arm,primecell\0"), ("reg", u32(0x9000000, 0x1000)),
                                    ("interrupts", u32(0, 1, 4))], []), *extra]
    root = ("", [("#address-cells", u32(cells[0])), ("#size-cells", u32(cells[1])),
                 ("compatible", s("minivmm,virt")), ("model", s("minivmm virtual machine"))], children)
    return root


def fdts():
    write("fdt", "guest.dtb", Fdt().blob(tree(u32(RAM, 64 * MIB))))
    write("fdt", "v16.dtb", Fdt().blob(tree(u32(RAM, 64 * MIB)), version=16))
    write("fdt", "no-chosen.dtb", Fdt().blob(tree(u32(RAM, 64 * MIB), chosen=False)))
    write("fdt", "cells-2-2.dtb", Fdt().blob(tree(u32(0, RAM, 0, 64 * MIB), cells=(2, 2))))
    write("fdt", "chosen-subnode.dtb", Fdt().blob(tree(u32(RAM, 64 * MIB), extra=[
        ("chosen2", [], [("deep", [("x", b"")], [("deeper", [], [])])])])))
    write("fdt", "other-ram.dtb", Fdt().blob(tree(u32(RAM, 32 * MIB))))
    write("fdt", "reserves.dtb", Fdt().blob(tree(u32(RAM, 64 * MIB)), reserve=[(RAM, 0x1000)]))
    write("fdt", "two-ranges.dtb", Fdt().blob(tree(u32(RAM, 32 * MIB, RAM + 32 * MIB, 32 * MIB))))
    made = ROOT / "build/guest.dtb"  # minivmm's own tree, from `make dts` (its default 64 MiB)
    if made.is_file():
        write("fdt", "make-dts.dtb", made.read_bytes())
    else:
        print("seeds: no build/guest.dtb (make dts): fdt's seeds lack minivmm's own tree")


# ---- the device targets: programs in their input formats.

def le32(v):
    return struct.pack("<I", v & 0xffffffff)


def le16(v):
    return struct.pack("<H", v)


def pl011_op(op, width, off=0, val=0):
    """op 0 read, 1 write; width index 0-3 = 1, 2, 4, 3 bytes; a raw offset (the >= 200 form)."""
    return bytes([op, width, 200]) + le16(off) + le32(val)


def pl011_type(text):
    return bytes([3, 0, len(text)]) + text


def pl011():
    W4 = 2
    linux = b"".join([
        pl011_op(1, W4, 0x30, 0),                        # CR = 0
        pl011_op(1, W4, 0x24, 13), pl011_op(1, W4, 0x28, 1),  # IBRD, FBRD
        pl011_op(1, W4, 0x2c, 0x70),                     # LCR_H = FEN | WLEN8
        pl011_op(1, W4, 0x38, 0x50),                     # IMSC = RX | RT
        pl011_op(1, W4, 0x30, 0x301),                    # CR = UARTEN | TXE | RXE
        pl011_type(b"hello"),
        pl011_op(0, W4, 0x18), pl011_op(0, W4, 0x40), pl011_op(0, W4, 0x0), pl011_op(0, 0, 0x0),
        pl011_op(0, W4, 0x0), pl011_op(1, 0, 0x0, ord("A")), pl011_op(1, W4, 0x44, 0x7ff),
        pl011_op(0, W4, 0xfe0), pl011_op(0, 1, 0xff2),
    ])
    write("pl011", "linux-init", linux)
    write("pl011", "no-fifo-overrun", pl011_op(1, W4, 0x2c, 0x60) + pl011_type(b"abcdefghijklmnopqrstuvwxyz")
          + pl011_op(0, W4, 0x0) + pl011_op(0, W4, 0x18) + pl011_op(1, W4, 0x34, 0x3f))
    write("pl011", "tx-off", pl011_op(1, W4, 0x30, 0x1) + pl011_op(1, W4, 0x0, 0x42) + pl011_op(0, 1, 0x3))


def gicd_turn(op, payload=b"", acks=()):
    """One run-loop turn: the guest's LR actions, then the event."""
    return bytes([len(acks)]) + bytes(acks) + bytes([op]) + payload


def gicd_access(write, off, width=2, val=0, irq_exit=False):
    op = (1 if write else 0) | (0x80 if irq_exit else 0)
    return gicd_turn(op, bytes([224]) + le16(off) + bytes([width]) + le32(val))


def gicd():
    linux = b"".join([
        gicd_access(True, 0x000, val=0),                 # CTLR off
        gicd_access(False, 0x004),                       # TYPER
        gicd_access(True, 0xc08, val=0x55555555),        # ICFGR: SPIs edge... then level
        gicd_access(True, 0xc08, val=0),
        gicd_access(True, 0x420, width=0, val=0xa0),     # IPRIORITYR[33], a byte
        gicd_access(True, 0x104, val=1 << 1),            # ISENABLER1: SPI 33
        gicd_access(True, 0x100, val=1 << 27),           # ISENABLER0: the timer
        gicd_access(True, 0x000, val=1),                 # CTLR on
        gicd_turn(80, bytes([33, 1])),                   # the UART's line up
        gicd_turn(110),                                  # the timer fires
        gicd_turn(81, bytes([33, 0]), acks=[0, 1]),      # the guest takes both, the UART's line drops
        gicd_turn(101, acks=[0, 0, 1]),                  # it completes them: maintenance
        gicd_access(True, 0xf00, val=2 << 24 | 3),       # SGIR: SGI 3 to itself
        gicd_access(False, 0x200), gicd_access(False, 0x300), gicd_access(False, 0xf10),
        gicd_turn(120),                                  # the guest stops its timer
    ])
    write("gicd", "linux-init", linux)
    many = b"".join(gicd_access(True, 0x200 + 4, val=0xffffffff) for _ in range(1)) + b"".join(
        gicd_turn(80, bytes([32 + i, 1])) for i in range(8)) + gicd_access(True, 0x104, val=0xffffffff) + \
        gicd_access(True, 0, val=1) + gicd_turn(100) + gicd_turn(100, acks=[0, 1, 2, 3])
    write("gicd", "more-than-four", many)


# decode: up to 256 bytes of code at 0x40010000, then operations.
CODE_VA = RAM + 0x10000
DEV = {"gicd": 0, "pl011": 1, "testdev": 2}


def set_reg(word, value):
    return bytes([0, word]) + le32(value)


def set_cpsr(value, mode_index):
    """mode_index into usr fiq irq svc abt und sys."""
    return bytes([50]) + le32(value) + bytes([mode_index])


def dabt(pc_off, dev, off, iss, hdfar):
    """A data abort (op 85: odd, the PC offset taken as it is) at IPA dev + off."""
    return bytes([85, pc_off, DEV[dev]]) + le16(off) + le32(iss) + le32(hdfar)


def decode_only(insn, iss):
    return bytes([240]) + le32(insn) + le32(iss)


def decode():
    IL = 1 << 25
    ISV, WNR = 1 << 24, 1 << 6
    arm = b"".join(le32(i) for i in [
        0xe5801000,  # str r1, [r0]
        0xe5905004,  # ldr r5, [r0, #4]
        0xe8a0001e,  # stmia r0!, {r1-r4}
        0xe1c020d8,  # ldrd r2, r3, [r0, #8]
        0xe7d21003,  # ldrb r1, [r2, r3]
    ])
    prog = bytes([len(arm)]) + arm
    prog += bytes([80])                                           # the exit trace on
    prog += set_reg(0, 0x09000000) + set_reg(1, 0x41) + set_reg(2, 0x0b000000) + set_reg(3, 0x10)
    prog += dabt(0, "pl011", 0, IL | WNR, 0x09000000)            # str, decoded (ISV = 0)
    prog += dabt(4, "pl011", 4, IL, 0x09000004)                  # ldr, decoded
    prog += dabt(0, "pl011", 0, IL | ISV | 2 << 22 | 1 << 16 | WNR, 0x09000000)  # str, from the syndrome
    prog += set_reg(0, 0x0b000000)
    prog += dabt(8, "testdev", 0, IL | WNR, 0x0b000000)          # stmia, decoded
    prog += dabt(12, "testdev", 0x18, IL, 0x0b000018)            # ldrd
    prog += set_reg(2, 0x0b000000) + set_reg(3, 0x10)
    prog += dabt(16, "testdev", 0x10, IL, 0x0b000010)            # ldrb, register offset
    prog += set_reg(0, 0x09000000)
    prog += dabt(0, "pl011", 0, IL | WNR, 0x09000000)            # the str again: a decode cache hit
    prog += decode_only(0xe5801000, ISV | 2 << 22 | 3 << 16)
    write("decode", "arm", prog)
    thumb = le16(0x6001) + le16(0x685a) + le16(0xc00e) + le16(0xf8c0) + le16(0x1004)  # str, ldr, stmia, str.w
    prog = bytes([len(thumb)]) + thumb
    prog += bytes([80]) + set_cpsr(1 << 5, 3)                    # the trace; Thumb, SVC
    prog += set_reg(0, 0x09000000) + set_reg(3, 0x0b000000) + set_reg(1, 0x55)
    prog += dabt(0, "pl011", 0, WNR, 0x09000000)                 # str r1, [r0] (16-bit)
    prog += dabt(2, "testdev", 4, 0, 0x0b000004)                 # ldr r2, [r3, #4]
    prog += dabt(4, "pl011", 0, WNR, 0x09000000)                 # stmia r0!, {r1-r3}
    prog += set_reg(0, 0x0b000000)
    prog += dabt(6, "testdev", 4, IL | WNR, 0x0b000004)          # str.w r1, [r0, #4]
    prog += bytes([200, 0]) + le32(IL | 2 << 17 | 7 << 10 | 14 << 1) + le32(0) + le32(0)  # DCCISW (CP15)
    write("decode", "thumb", prog)
    # Hypercalls and PSCI (other trap 8: HVC, 9: SMC), their number in r0 and arguments in r1-r3.
    HVC, SMC = 8, 9
    prog = bytes([0])
    for call, args in [(0x86000001, [ord("x")]), (0x86000002, [RAM + 0x100, 16]), (0x86000004, [0x24]),
                       (0x86000005, [1, 0x1234, 0x5]), (0x86000008, [0]), (0x84000000, []), (0x8400000a, [0x84000008])]:
        prog += set_reg(0, call) + b"".join(set_reg(1 + i, a) for i, a in enumerate(args))
        prog += bytes([200, HVC]) + le32(IL) + le32(0) + le32(0)
    prog += set_reg(0, 0x84000009) + bytes([200, SMC]) + le32(IL) + le32(0) + le32(0)  # PSCI SYSTEM_RESET
    write("decode", "calls", prog)


def written_by_target(target):
    """Seeds the target writes itself with minivmm's own code (FUZZ_WRITE_SEEDS=<folder>)."""
    binary = ROOT / "build/fuzz" / target
    if not binary.is_file():
        sys.exit(f"seeds: {binary.relative_to(ROOT)} is missing: make fuzz-bins FUZZ_TARGETS={target}")
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(binary)], env={**os.environ, "FUZZ_WRITE_SEEDS": str(folder)}, check=True,
                   stdout=subprocess.DEVNULL)


def snapshots():
    written_by_target("snapshot")


# ---- snapfile: a flags byte (1: make the checksums right first), then a snapshot file
# of the target's VM; build/fuzz/snapfile writes them (a fresh VM, a busy one, that one
# with the flag).

def snapfiles():
    written_by_target("snapfile")


# ---- pci: operations (which, width index, address bytes, value); see pci.c.

PCI_REGS = [0x00, 0x04, 0x06, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x24, 0x3c]  # pci.c's ecam_offset table
W1, W2, W4 = 0, 1, 2


def pci_cfg(write, reg, width=W4, val=0, dev=1):
    """A configuration access to one of the table's registers of device dev (1 takes the short form)."""
    op = 0x80 if write else 0
    addr = bytes([1, PCI_REGS.index(reg)]) if dev == 1 else bytes([0, dev, PCI_REGS.index(reg)])
    return bytes([op, width]) + addr + le32(val)


def pci_io(write, port, width=W1, val=0):
    return bytes([(0x80 if write else 0) | 64, width]) + le16(port) + le32(val)


def pci():
    # Linux: probe every slot, size BAR 0 with decoding off, place it, turn I/O on, use the card.
    linux = b"".join([pci_cfg(False, 0x00, dev=d) for d in (0, 2, 3)] + [
        pci_cfg(False, 0x00), pci_cfg(False, 0x08), pci_cfg(False, 0x0c),
        pci_cfg(True, 0x04, W2, 0), pci_cfg(True, 0x10, val=0xffffffff), pci_cfg(False, 0x10),
        pci_cfg(True, 0x10, val=0x1000), pci_cfg(True, 0x04, W2, 1), pci_cfg(True, 0x3c, W1, 36),
        pci_io(False, 0x1000), pci_io(True, 0x1000, val=0x21), pci_io(False, 0x1010, W2), pci_io(False, 0x101f),
        pci_io(False, 0x1010, W4), pci_cfg(True, 0x10, val=0x2000), pci_io(False, 0x2007),
        pci_cfg(True, 0x04, W2, 0x400), pci_cfg(False, 0x06, W2),
    ])
    write("pci", "linux-probe", linux)
    hostile = b"".join([
        pci_cfg(True, 0x04, W2, 0xffff), pci_cfg(True, 0x10, val=0xffffffff), pci_cfg(True, 0x10, val=0xfff0),
        pci_cfg(True, 0x14, val=0x40000000), pci_cfg(True, 0x24, val=0x08000000), pci_cfg(True, 0x04, W2, 3),
        pci_io(False, 0xfff0, W4), pci_io(True, 0xffff, W2, 0xffff),
    ])
    write("pci", "hostile-bars", hostile)


# ne2000: operations (the comment above its LLVMFuzzerTestOneInput): BAR accesses, frames, macros.
NE_WIDTH = {1: 0, 2: 1, 4: 2}


def ne_io(write, off, val=0, width=1):
    sel = off if off < 16 else {0x10: 16, 0x1f: 17}.get(off)
    where = bytes([sel]) if sel is not None else bytes([240, off])
    return bytes([NE_WIDTH[width] * 2 + write]) + where + (val.to_bytes(width, "little") if write else b"")


def ne_wr(*pairs):
    return b"".join(ne_io(1, off, val) for off, val in pairs)


def ne_frame(dst_kind, length, payload=b"", dst=b""):
    """dst_kind 0: the card's PAR, 1: broadcast, 2: 01:00:5e + 3 bytes, 3: 6 bytes."""
    body = payload or bytes((i * 7) & 0xff for i in range(max(0, length - 6)))
    return bytes([10, dst_kind]) + dst + le16(length) + body[:max(0, length - 6)]


def ne_dma(cmd, addr, count):
    return ne_wr((0, 0x22), (0x0a, count & 0xff), (0x0b, count >> 8), (0x08, addr & 0xff), (0x09, addr >> 8), (0, cmd))


NE_INIT, NE_RESET = bytes([12]), bytes([14])


def ne_tx(tpsr, tbcr):
    return bytes([13, tpsr]) + le16(tbcr)


def ne2000():
    prom = [(0, 0x21), (0x0e, 0x49), (0x0a, 0), (0x0b, 0), (0x0f, 0), (0x07, 0xff), (0x0c, 0x20), (0x0d, 0x02),
            (0x0a, 32), (0x0b, 0), (0x08, 0), (0x09, 0), (0, 0x0a)]
    probe = (ne_io(0, 0x1f) + ne_io(1, 0x1f) + ne_io(0, 0x07) + ne_wr((0, 0x61), (0x0d, 0xff), (0, 0x20))
             + ne_io(0, 0x0d) * 2 + ne_wr(*prom) + ne_io(0, 0x10) * 32 + ne_wr((0x0e, 0x49)))
    write("ne2000", "linux-probe", probe)
    rxtx = (NE_INIT + ne_frame(0, 100) + ne_frame(1, 42) + ne_io(0, 0x07) + ne_wr((0x07, 0xff))
            + ne_dma(0x0a, 0x4c00, 4) + ne_io(0, 0x10, width=4) + ne_dma(0x0a, 0x4c04, 101)
            + ne_io(0, 0x10, width=4) * 25 + ne_io(0, 0x10) + ne_wr((0x03, 0x4c))
            + ne_dma(0x12, 0x4000, 60) + b"".join(ne_io(1, 0x10, 0x01020304 * i, 4) for i in range(15))
            + ne_tx(0x40, 60) + ne_io(0, 0x04) + ne_wr((0x07, 0x42)))
    write("ne2000", "linux-rx-tx", rxtx)
    wrap = (NE_INIT + ne_wr((0, 0x62), (0x07, 0x7f), (0, 0x22), (0x03, 0x7e)) + ne_frame(0, 600)
            + ne_dma(0x0a, 0x7f04, 600) + ne_io(0, 0x10, width=4) * 150 + ne_wr((0x03, 0x4d))
            + ne_frame(0, 1514) * 9 + ne_io(0, 0x07) + ne_io(0, 0x0f))
    write("ne2000", "ring-wrap-overflow", wrap)
    hostile = (NE_INIT + ne_wr((0x01, 0x60), (0x02, 0x60)) + ne_frame(0, 64)
               + ne_wr((0x01, 0x70), (0x02, 0x50)) + ne_frame(1, 1514)
               + ne_wr((0x01, 0x00), (0x02, 0xff), (0, 0x62), (0x07, 0xfe), (0, 0x22)) + ne_frame(0, 300)
               + bytes([10, 0]) + le16(0xffff) + ne_tx(0xbf, 300) + ne_tx(0xff, 60) + ne_tx(0x40, 0xffff)
               + ne_dma(0x12, 0xbffe, 8) + ne_io(1, 0x10, 0x44332211, 4) * 2
               + ne_dma(0x0a, 0xbffe, 3) + ne_io(0, 0x10, width=2) * 3 + NE_RESET)
    write("ne2000", "hostile", hostile)
    mcast = (NE_INIT + ne_wr((0x0c, 0x0c), (0, 0x62), (0x0b, 0x80), (0, 0x22))
             + ne_frame(2, 64, dst=b"\x00\x00\x01") + ne_frame(3, 64, dst=b"\x33\x33\x00\x00\x00\x01")
             + ne_wr((0x0c, 0x1c)) + ne_frame(3, 70, dst=b"\x02\x00\x00\x00\x00\x01") + ne_wr((0x0c, 0x24))
             + ne_frame(0, 64) + ne_io(0, 0x0f) + ne_io(0, 0x0c))
    write("ne2000", "filters", mcast)


# ---- hda: operations (the comment above its LLVMFuzzerTestOneInput): BAR accesses, time, RAM words.
HDA_WIDTH = {1: 0, 2: 1, 4: 2}


def hda_io(write, off, val=0, width=4):
    return (bytes([HDA_WIDTH[width] * 2 + write, 224]) + le16(off)
            + (val.to_bytes(width, "little") if write else b""))


def hda_time(steps, ms=False):
    return bytes([11 if ms else 10]) + le16(steps)


def hda_ram(word, value):
    return bytes([13]) + le16(word) + value.to_bytes(4, "little")


def hda():
    init = bytes([12])
    write("hda", "linux-play", init + hda_time(30, ms=True) + hda_io(0, 0x84) + hda_io(0, 0x2084)
          + hda_io(1, 0x83, 0x1c, 1) + hda_io(0, 0x24) + hda_time(500) + hda_io(1, 0x80, 0, 1))
    verbs = b"".join(bytes([14, i]) + (0x000f0000 | i << 20).to_bytes(4, "little") for i in range(1, 40))
    write("hda", "verb-storm", init + verbs + hda_io(0, 0x58, width=2) + hda_io(1, 0x5d, 5, 1)
          + hda_io(1, 0x5a, 0, 2) + bytes([14, 0]) + (0x20f00000).to_bytes(4, "little"))
    hostile = (init + hda_ram(0x3000 // 4, 0x10000000) + hda_time(5, ms=True) + hda_io(1, 0x80, 0x100016)
               + hda_io(1, 0x9c, 1) + hda_io(1, 0x80, 0x100016) + hda_io(1, 0x98, 0xffffff80)
               + hda_io(1, 0x8c, 0xffff, 2) + hda_io(1, 0x80, 0x100016) + hda_time(3, ms=True)
               + hda_io(1, 0x88, 0) + hda_io(1, 0x40, 0x3f000000) + hda_io(1, 0x48, 9, 2)
               + hda_io(1, 0x74, 1) + bytes([15]))
    write("hda", "hostile", hostile)


# ---- virtio_net: a transport version byte, then operations (see virtio_net.c).

def vnet_op(op, length=60, fill=0xab, extra=b""):
    return le16(length) + bytes([fill, op]) + extra


def virtio_net():
    for version in (0, 1):  # legacy, then version 2
        traffic = bytes([version]) + b"".join([
            vnet_op(0, 60), vnet_op(0, 1514), vnet_op(2), vnet_op(2), vnet_op(5),
            vnet_op(1, 42, extra=b"\0"), vnet_op(1, 1514, extra=b"\0"), vnet_op(5),
            vnet_op(1, 13, extra=b"\0"), vnet_op(1, 60, extra=b"\1" + le32(5000)), vnet_op(5),
        ] + [vnet_op(0, 100 + i) for i in range(40)] + [vnet_op(2)] * 40)
        write("virtio_net", f"traffic-v{version + 1}", traffic)
    hostile = bytes([0]) + b"".join([
        vnet_op(0, 60), vnet_op(3, extra=bytes([1, 7]) + le32(100) + b"\0"), vnet_op(5),
        vnet_op(3, extra=bytes([0, 200]) + le32(4000) + b"\1"), vnet_op(5),
        vnet_op(4, extra=bytes([0]) + le16(300)), vnet_op(5), vnet_op(0, 60),
    ])
    write("virtio_net", "hostile-device", hostile)


WRITERS = {"cmdline": cmdline, "elf": elves, "zimage": zimages, "fdt": fdts, "pl011": pl011, "gicd": gicd,
           "decode": decode, "pci": pci, "ne2000": ne2000, "hda": hda, "virtio_net": virtio_net, "snapshot": snapshots,
           "snapfile": snapfiles}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="minivmm/tests/fuzz/seeds.py", description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="comma-separated targets: " + ",".join(WRITERS))
    a = ap.parse_args(argv)
    names = a.only.split(",") if a.only else list(WRITERS)
    for name in names:
        if name not in WRITERS:
            ap.error(f"unknown target {name!r}")
        shutil.rmtree(CORPUS / name, ignore_errors=True)
        WRITERS[name]()
        files = sorted((CORPUS / name).iterdir())
        print(f"seeds: {name}: {len(files)} files, {sum(f.stat().st_size for f in files)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
