"""The network fixture of a QEMU test with `net = "user"`: per-run files for the guest to fetch, the sums the test expects, the pcap check.

Each run gets a fresh folder (under the build tree's build/tmp) holding

  tftp/small.bin   3,000 bytes (not a multiple of TFTP's 512-byte blocks)
  tftp/big.bin     1 MiB
  http/big.bin     the same 1 MiB

and, for make bench's network part (Fixture(..., files=BENCH_FILES)), http/bench.bin: 8 MiB.

served to the guest by QEMU's user networking (TFTP at 10.0.2.2) and grader/netserve.py
(HTTP at 10.0.2.100, see grader/qemu.py net_args). Their content is random, drawn from the
run's nonce and a secret the guest never sees: the nonce alone would not do, since the
guest (and the VMM, which reads the guest's command line) knows it and this code is public.

A test's `expect` strings may hold {sha256:NAME} (NAME: small.bin, big.bin or a path such
as tftp/small.bin) and {nonce}, replaced before matching; `expect_pcap` strings (same
placeholders) must each appear, as bytes, inside one frame of the run's pcap.

`python3 -m grader.netfix native` boots Debian's Linux without minivmm with QEMU's own
ne2k_pci on such a network: the reference behaviour for lab 5's NE2000."""
import argparse
import hashlib
import pathlib
import re
import secrets
import shutil
import struct
import sys
import tempfile
import time

from . import proc, qemu

# Path in the fixture -> (content name, size). Files with the same content name are the same file.
FILES = {"tftp/small.bin": ("small.bin", 3000),
         "tftp/big.bin": ("big.bin", 1 << 20),
         "http/big.bin": ("big.bin", 1 << 20)}
# make bench's network part (grader/bench.py): a TCP transfer long enough to time.
BENCH_FILES = {"http/bench.bin": ("bench.bin", 8 << 20)}
# What {sha256:NAME} may name: a content name or a path in the fixture.
NAMES = sorted({name for name, _ in FILES.values()} | set(FILES))
PLACEHOLDER = re.compile(r"\{(sha256:[^{}]*|nonce)\}")
PCAP_MAX_FRAME = 256 * 1024  # a record longer than this is a damaged file, not a frame


class PcapError(ValueError):
    """A file that is not a readable pcap."""


def content(secret, nonce, name, size):
    """The bytes of a fixture file: SHAKE-256 of the secret, nonce and content name."""
    return hashlib.shake_256(b"minivmm-netfix\0" + secret + b"\0" + nonce.encode() + b"\0"
                             + name.encode()).digest(size)


def placeholder_problem(text, net):
    """Why a manifest string's placeholders cannot be expanded, or None: {sha256:NAME}
    needs a network test (net) and a NAME of the fixture."""
    for m in PLACEHOLDER.finditer(text):
        if m.group(1) == "nonce":
            continue
        name = m.group(1)[len("sha256:"):]
        if not net:
            return f"{m.group(0)} needs a network test (net = \"user\")"
        if name not in NAMES:
            return f"{m.group(0)}: no fixture file {name!r} (files: {', '.join(NAMES)})"
    return None


def expand(text, nonce, sums=None):
    """text with {nonce} and {sha256:NAME} replaced (sums: {NAME: hex}; a NAME it lacks
    is a ValueError)."""
    def one(m):
        if m.group(1) == "nonce":
            return nonce
        name = m.group(1)[len("sha256:"):]
        if not sums or name not in sums:
            raise ValueError(f"{m.group(0)}: no such fixture file in this run")
        return sums[name]
    return PLACEHOLDER.sub(one, text)


class Fixture:
    """One run's folder of files (see the module's doc): files is {path: (content name,
    size)}, by default FILES. Use as a context manager, or call remove()."""

    def __init__(self, parent, nonce, secret=None, files=None):
        self.nonce = nonce
        secret = secrets.token_bytes(16) if secret is None else secret
        parent = pathlib.Path(parent)
        parent.mkdir(parents=True, exist_ok=True)
        self.path = pathlib.Path(tempfile.mkdtemp(prefix="net-", dir=parent)).resolve()
        self.sums = {}
        made = {}
        for served in ("tftp", "http"):  # both servers' folders, even with no file to serve
            (self.path / served).mkdir()
        for rel, (name, size) in (FILES if files is None else files).items():
            data = made.get(name) or made.setdefault(name, content(secret, nonce, name, size))
            f = self.path / rel
            f.parent.mkdir(exist_ok=True)
            f.write_bytes(data)
            self.sums[rel] = self.sums[name] = hashlib.sha256(data).hexdigest()

    def expand(self, text):
        return expand(text, self.nonce, self.sums)

    def remove(self):
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def pcap_frames(data):
    """The frames of a pcap file's bytes (classic format: a 24-byte global header, then
    16-byte record headers, either byte order, micro- or nanosecond stamps). A last
    record cut short (QEMU stopped while writing it) is left out."""
    if len(data) < 24:
        raise PcapError(f"{len(data)} bytes: shorter than a pcap header")
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        order = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        order = ">"
    else:
        raise PcapError(f"not a pcap file (magic {magic.hex()})")
    frames, at = [], 24
    while at + 16 <= len(data):
        _, _, caplen, _ = struct.unpack_from(order + "IIII", data, at)
        at += 16
        if caplen > PCAP_MAX_FRAME:
            raise PcapError(f"record at byte {at - 16} claims {caplen} bytes")
        if at + caplen > len(data):
            break
        frames.append(data[at:at + caplen])
        at += caplen
    return frames


def pcap_problem(path, needles):
    """Why the pcap at path does not show each of needles (str, as UTF-8 bytes) inside
    one frame, or None."""
    if not needles:
        return None
    try:
        frames = pcap_frames(pathlib.Path(path).read_bytes())
    except FileNotFoundError:
        return f"no pcap was written ({path})"
    except (OSError, PcapError) as e:
        return f"pcap {path}: {e}"
    for needle in needles:
        want = needle.encode()
        if not any(want in f for f in frames):
            return f"no frame of the pcap ({len(frames)} frames, {path}) contains {needle!r}"
    return None


# ---- the reference run: Debian's Linux natively, QEMU's ne2k_pci, the same fixture and checks.
NATIVE_EXPECT = ["minivmm-net: begin", "3 packets transmitted, 3 packets received, 0% packet loss",
                 "sha256 small.bin {sha256:small.bin}", "sha256 big.bin {sha256:big.bin}",
                 "minivmm-net: end, 0 failed steps"]
NATIVE_PCAP = ["GET /big.bin?nonce={nonce} HTTP/1."]


def native(kernel, initrd, device, timeout, root):
    """Boot kernel natively with device on a test network; (ok, why, seconds)."""
    nonce = secrets.token_hex(4)
    pcap = root / "build" / "test-logs" / "native-linux-net.pcap"
    pcap.parent.mkdir(parents=True, exist_ok=True)
    pcap.unlink(missing_ok=True)
    with Fixture(root / "build" / "tmp", nonce) as fix:
        argv = qemu.linux_command(kernel, initrd, f"console=ttyAMA0 minivmm.net nonce={nonce}",
                                  net=qemu.net_args("user", fix.path, pcap, device=device))
        print("netfix: " + " ".join(argv), flush=True)
        r = proc.run(argv, timeout, echo=True)
        if r.timed_out:
            return False, f"timed out after {timeout:g} s", r.seconds
        if r.status != 0:
            return False, f"QEMU exit status {r.status}", r.seconds
        for s in NATIVE_EXPECT:
            if fix.expand(s) not in r.output:
                return False, f"output lacks {fix.expand(s)!r}", r.seconds
        why = pcap_problem(pcap, [fix.expand(s) for s in NATIVE_PCAP])
        return why is None, why or f"ok (pcap {pcap})", r.seconds


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m grader.netfix", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    n = sub.add_parser("native", help="boot Linux without minivmm on a test network (QEMU's own NIC)")
    n.add_argument("--kernel", default="build/linux/zImage")
    n.add_argument("--initrd", default="build/linux/initramfs.cpio")
    n.add_argument("--device", default="ne2k_pci", help="QEMU's NIC for the guest (default ne2k_pci)")
    n.add_argument("--timeout", type=float, default=120)
    a = ap.parse_args(argv)
    root = pathlib.Path.cwd()
    for f in (a.kernel, a.initrd):
        if not pathlib.Path(f).is_file():
            print(f"netfix: {f} does not exist (make linux)", file=sys.stderr)
            return 2
    start = time.monotonic()
    ok, why, seconds = native(a.kernel, a.initrd, a.device, a.timeout, root)
    print(f"\nnetfix: native Linux with {a.device}: {'PASS' if ok else 'FAIL'}: {why}; "
          f"QEMU ran {seconds:.1f} s, {time.monotonic() - start:.1f} s in all")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
