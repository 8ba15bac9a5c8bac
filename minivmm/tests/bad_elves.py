"""Writes malformed guest images, derived from tinykernel.elf, for minivmm's bad-input integration tests."""
import pathlib
import struct
import sys

E_MACHINE, E_PHOFF, E_PHNUM = 18, 28, 44
PHDR_SIZE = 32


def first_load(img):
    """Offset of the first PT_LOAD program header."""
    phoff = struct.unpack_from("<I", img, E_PHOFF)[0]
    phnum = struct.unpack_from("<H", img, E_PHNUM)[0]
    for i in range(phnum):
        off = phoff + i * PHDR_SIZE
        if struct.unpack_from("<I", img, off)[0] == 1:
            return off
    raise SystemExit("bad_elves: no PT_LOAD in the input")


def variants(img):
    ph = first_load(img)
    offset, filesz = struct.unpack_from("<II", img, ph + 4)[0], struct.unpack_from("<I", img, ph + 16)[0]
    out = {"truncated": img[: offset + filesz // 2]}  # ends inside the first segment's data
    x86 = bytearray(img)
    struct.pack_into("<H", x86, E_MACHINE, 3)
    out["not-arm"] = bytes(x86)
    vmm = bytearray(img)
    struct.pack_into("<I", vmm, ph + 12, 0x50000000)      # p_paddr inside the VMM
    out["overlaps-vmm"] = bytes(vmm)
    big = bytearray(img)
    struct.pack_into("<I", big, ph + 20, 0x08000000)      # p_memsz: 128 MiB, more than RAM
    out["too-big"] = bytes(big)
    return out


def main(src, dest):
    img = pathlib.Path(src).read_bytes()
    dest = pathlib.Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name, data in variants(img).items():
        (dest / f"{name}.elf").write_bytes(data)


if __name__ == "__main__":
    main(*sys.argv[1:3])
