"""Per-run proof keys of tinykernel's result lines (guests/tinykernel/results.c).

The guest proves a result with "MVTEST <name> PASS <proof>", proof = the first PROOF_HEX hex
digits of HMAC-SHA256(key, "<name>"), key the 32 bytes of its ELF section .proofkey. Built,
the section holds MARKER; for each run the grader (a trusted step, before QEMU starts) copies
the image into the tree's build/tmp, writes a fresh random key over the marker in the copy
and boots the copy. The key is never on minivmm's command line nor anywhere else the VMM is
handed it: a VMM that prints PASS lines itself has to read the key out of guest memory, code
an instructor sees. A line from an unpatched image (make run) carries the marker's proof,
which no run's key gives."""
import contextlib
import hashlib
import hmac
import os
import pathlib
import re
import secrets
import struct
import tempfile

SECTION = ".proofkey"
MARKER = b"MINIVMM-PROOFKEY-MARKER-32BYTES!"  # results.c's proof_key as built
KEY_BYTES = len(MARKER)
PROOF_HEX = 16  # the hex digits the guest prints (results.c: PROOF_BYTES * 2)
HEX = re.compile(r"[0-9a-f]+")


class ProofKeyError(ValueError):
    """A guest image whose key cannot be patched (no ELF32, no .proofkey, marker not once)."""


def new_key():
    return secrets.token_bytes(KEY_BYTES)


def section(data, name=SECTION):
    """(file offset, size) of ELF32 section name in the image bytes data; ProofKeyError if
    data is no ELF32 file or has no such section."""
    if data[:4] != b"\x7fELF" or len(data) < 52 or data[4] != 1 or data[5] not in (1, 2):
        raise ProofKeyError("not an ELF32 file")
    e = "<" if data[5] == 1 else ">"
    shoff, = struct.unpack_from(e + "I", data, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", data, 0x2E)
    if shentsize < 40 or shoff + shnum * shentsize > len(data) or shstrndx >= shnum:
        raise ProofKeyError("bad ELF section headers")

    def header(i):  # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size
        return struct.unpack_from(e + "6I", data, shoff + i * shentsize)
    strtab_off, strtab_size = header(shstrndx)[4:6]
    strtab = data[strtab_off:strtab_off + strtab_size]
    found = []
    for i in range(shnum):
        sh_name, sh_type, _, _, off, size = header(i)
        if strtab[sh_name:strtab.find(b"\0", sh_name)] == name.encode() and sh_type == 1:  # PROGBITS
            found.append((off, size))
    if len(found) != 1:
        raise ProofKeyError(f"{len(found) or 'no'} {name} section{'s' if len(found) > 1 else ''} in the guest image")
    off, size = found[0]
    if off + size > len(data):
        raise ProofKeyError(f"{name} section lies beyond the end of the file")
    return off, size


def patch(data, key):
    """The image bytes data with key written over the marker in .proofkey. ProofKeyError
    unless the marker is in the file exactly once, and is the whole of .proofkey."""
    if len(key) != KEY_BYTES:
        raise ProofKeyError(f"a proof key has {KEY_BYTES} bytes, not {len(key)}")
    count = data.count(MARKER)
    if count != 1:
        raise ProofKeyError(f"the proof key marker is {'not' if not count else f'{count} times'} "
                            "in the guest image (expected once, in section .proofkey)")
    off, size = section(data)
    if size != KEY_BYTES or data[off:off + size] != MARKER:
        raise ProofKeyError(f"section {SECTION} does not hold the proof key marker")
    return data[:off] + key + data[off + size:]


def proof(key, name, digits=PROOF_HEX):
    """The proof of a PASS line of test program name under key (as results.c computes it)."""
    return hmac.new(key, name.encode(), hashlib.sha256).hexdigest()[:digits]


def valid(key, name, p):
    """Whether p is the proof of name's PASS line under key: PROOF_HEX to 64 lowercase hex
    digits of its HMAC, compared in constant time."""
    if not PROOF_HEX <= len(p) <= 64 or not HEX.fullmatch(p):
        return False
    return hmac.compare_digest(p.encode(), proof(key, name, len(p)).encode())


@contextlib.contextmanager
def keyed_guest(guest, kit, key=None):
    """A copy of the guest image guest (a path, relative ones in build tree kit) with a fresh
    random key (or key) in its .proofkey, made in kit's build/tmp (which the sandboxed QEMU
    can read) under a random name: yields (its path relative to kit, the key). The copy goes
    when the block ends. ProofKeyError if the image's key cannot be patched."""
    kit = pathlib.Path(kit)
    src = pathlib.Path(guest)
    data = (src if src.is_absolute() else kit / src).read_bytes()
    key = key if key is not None else new_key()
    patched = patch(data, key)
    tmp = kit / "build" / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    fd, path = tempfile.mkstemp(prefix="guest-", suffix=".elf", dir=tmp)  # 0600, O_EXCL
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(patched)
        yield os.path.relpath(path, kit), key
    finally:
        pathlib.Path(path).unlink(missing_ok=True)
