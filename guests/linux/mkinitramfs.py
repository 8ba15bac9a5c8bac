"""Build the Linux guest's initramfs: a newc cpio archive with busybox, guests/linux/init, guests/linux/etc and kernel modules.

python3 guests/linux/mkinitramfs.py BUSYBOX OUT [--tree DIR]... [MODULE...]

Each MODULE (a .ko, or a .ko.xz that is decompressed here: busybox insmod takes plain
ELF only) goes to /lib/modules/<name>.ko. Each --tree DIR's files and folders go to the
same paths under / (executables 0755, others 0644), e.g. build_hda.py's aplay and libraries."""
import lzma
import pathlib
import sys

HERE = pathlib.Path(__file__).parent
INIT = HERE / "init"
# busybox init's table and the scripts it runs: (path in the archive, mode).
ETC = [("etc/inittab", 0o100644), ("etc/shrc", 0o100644), ("etc/init.d/rcS", 0o100755), ("etc/init.d/console", 0o100755)]


def entry(ino, name, mode, data=b"", rdev=(0, 0)):
    """One newc record: 110-byte ASCII header, the name, the data, each padded to 4 bytes."""
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    head = b"070701" + b"".join(b"%08x" % f for f in fields)
    rec = head + name.encode() + b"\0"
    rec += b"\0" * (-len(rec) % 4) + data
    return rec + b"\0" * (-len(rec) % 4)


def module(path):
    """(name in the archive, ELF bytes) of a kernel module file."""
    path = pathlib.Path(path)
    data = path.read_bytes()
    name = path.name
    if name.endswith(".xz"):
        data, name = lzma.decompress(data), name[:-len(".xz")]
    if not name.endswith(".ko") or data[:4] != b"\x7fELF":
        raise SystemExit(f"mkinitramfs: {path} is not a kernel module (.ko or .ko.xz)")
    return f"lib/modules/{name}", data


def tree(root):
    """(path in the archive, mode, data) of every folder and file under root, parents first."""
    root = pathlib.Path(root)
    if not root.is_dir():
        raise SystemExit(f"mkinitramfs: {root} is not a folder")
    out = []
    for p in sorted(root.rglob("*")):
        name = p.relative_to(root).as_posix()
        if p.is_dir():
            out.append((name, 0o040755))
        else:
            out.append((name, 0o100755 if p.stat().st_mode & 0o111 else 0o100644, p.read_bytes()))
    return out


def build(busybox, out, modules=(), trees=()):
    mods = [module(m) for m in modules]
    files = [
        ("dev", 0o040755), ("dev/console", 0o020600, b"", (5, 1)),
        ("bin", 0o040755), ("proc", 0o040755), ("sys", 0o040755),
        ("bin/busybox", 0o100755, pathlib.Path(busybox).read_bytes()),
        ("init", 0o100755, INIT.read_bytes()),
        ("etc", 0o040755), ("etc/init.d", 0o040755),
        *[(name, mode, (HERE / name).read_bytes()) for name, mode in ETC],
        *([("lib", 0o040755), ("lib/modules", 0o040755)] if mods else []),
        *[(name, 0o100644, data) for name, data in mods],
    ]
    have = {f[0] for f in files}
    for t in trees:
        for f in tree(t):
            if f[0] in have and f[1] & 0o170000 == 0o040000:
                continue  # a folder the archive has already (lib, lib/modules)
            if f[0] in have:
                raise SystemExit(f"mkinitramfs: {t}/{f[0]} would replace the archive's own /{f[0]}")
            have.add(f[0])
            files.append(f)
    files.append(("TRAILER!!!", 0))
    blob = b"".join(entry(ino, *f) for ino, f in enumerate(files, start=2))
    pathlib.Path(out).write_bytes(blob + b"\0" * (-len(blob) % 512))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    args, trees, mods = sys.argv[3:], [], []
    while args:
        a = args.pop(0)
        if a == "--tree":
            if not args:
                sys.exit("mkinitramfs: --tree needs a folder")
            trees.append(args.pop(0))
        else:
            mods.append(a)
    build(sys.argv[1], sys.argv[2], mods, trees)
