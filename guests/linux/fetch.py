"""Fetch the two Debian armhf packages the Linux guest needs (the armmp kernel and busybox-static), once.

They go to a cache folder outside the repository (default ~/.cache/minivmm/debian-armhf,
or $MINIVMM_CACHE), and the kernel's zImage and the busybox binary are extracted there.
The packages are found in Debian's own armhf index and checked against its SHA256 sums.
(`apt-get download` would need `dpkg --add-architecture armhf`, which changes the
machine's package configuration for every later apt-get run; this does not.)

Prints the paths of the zImage and busybox, then those of the kernel modules the
initramfs carries (MODULES, in load order: .ko or .ko.xz as the package ships them;
guests/linux/mkinitramfs.py decompresses), one per line."""
import argparse
import hashlib
import lzma
import os
import pathlib
import re
import subprocess
import sys
import urllib.request

MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
INDEX = f"{MIRROR}/dists/bookworm/main/binary-armhf/Packages.xz"
KERNEL_META = "linux-image-armmp"   # depends on the current linux-image-6.1.*-armmp
BUSYBOX = "busybox-static"
# The kernel's modules the guest loads, in load order (the package has no modules.dep):
# the NE2000 PCI driver (lab 5) and the 8390 core it needs.
MODULES = ("8390", "ne2k-pci")


def cache_dir():
    base = os.environ.get("MINIVMM_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "minivmm")
    return pathlib.Path(base) / "debian-armhf"


def say(msg):
    print(f"linux: {msg}", file=sys.stderr, flush=True)


def download(url, dest):
    say(f"downloading {url}")
    tmp = dest.with_suffix(dest.suffix + ".part")
    with urllib.request.urlopen(url, timeout=120) as r, open(tmp, "wb") as f:
        while chunk := r.read(1 << 20):
            f.write(chunk)
    tmp.replace(dest)


def packages(index_text):
    """{package name: {field: value}} from a Packages file."""
    out = {}
    for stanza in index_text.split("\n\n"):
        fields = dict(re.findall(r"^([A-Za-z0-9-]+): (.*)$", stanza, re.M))
        if "Package" in fields:
            out[fields["Package"]] = fields
    return out


def fetch_deb(pkgs, name, cache):
    p = pkgs[name]
    deb = cache / pathlib.Path(p["Filename"]).name
    if not deb.exists() or hashlib.sha256(deb.read_bytes()).hexdigest() != p["SHA256"]:
        download(f"{MIRROR}/{p['Filename']}", deb)
        if hashlib.sha256(deb.read_bytes()).hexdigest() != p["SHA256"]:
            deb.unlink()
            raise SystemExit(f"linux: {deb.name}: SHA256 does not match Debian's index")
    return deb


def extract(deb, into):
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(into)], check=True)


def modules(root):
    """The paths of MODULES under an unpacked kernel package (root/lib/modules/<version>/),
    in MODULES' order, or None if one is missing."""
    found = []
    for name in MODULES:
        hits = sorted(p for suffix in (".ko", ".ko.xz")
                      for p in (root / "lib" / "modules").glob(f"*/kernel/**/{name}{suffix}"))
        if not hits:
            return None
        found.append(hits[0])
    return found


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 guests/linux/fetch.py", description=__doc__)
    ap.parse_args(argv)
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    zimage, busybox = cache / "zImage", cache / "busybox"
    mods = modules(cache / "root")
    if zimage.exists() and busybox.exists() and mods:
        print("\n".join(str(p) for p in (zimage, busybox, *mods)))
        return 0
    index = cache / "Packages.xz"
    try:
        download(INDEX, index)
        pkgs = packages(lzma.decompress(index.read_bytes()).decode())
        kernel = re.match(r"(linux-image-[^ ,]+)", pkgs[KERNEL_META]["Depends"]).group(1)
        debs = [fetch_deb(pkgs, kernel, cache), fetch_deb(pkgs, BUSYBOX, cache)]
    except (OSError, KeyError, AttributeError) as e:
        say(f"cannot fetch the Debian packages: {e}")
        return 1
    for deb in debs:
        extract(deb, cache / "root")
    root = cache / "root"
    zimage.write_bytes(next((root / "boot").glob("vmlinuz-*")).read_bytes())
    busybox.write_bytes((root / "bin" / "busybox").read_bytes())
    mods = modules(root)
    if not mods:
        say(f"{kernel} has no {' or '.join(f'{m}.ko' for m in MODULES)}")
        return 1
    say(f"kernel {kernel} and {BUSYBOX} in {cache}")
    print("\n".join(str(p) for p in (zimage, busybox, *mods)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
