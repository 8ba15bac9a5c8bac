"""Build Debian's missing snd-hda-intel.ko for the armmp kernel that fetch.py fetched, and stage aplay, once.

Debian's armmp kernel ships the ALSA core and the HD-Audio codec drivers as modules but
not the PCI controller driver (`# CONFIG_SND_HDA_INTEL is not set`). This builds it, and
snd-intel-dspcfg.ko that it needs (SND_HDA_INTEL selects SND_INTEL_DSP_CONFIG), from the
unmodified files of Debian's own linux-source-6.1 of the kernel's exact version, as an
out-of-tree module against that version's linux-headers-<release>-armmp (its .config,
generated headers and Module.symvers, so vermagic and the modversions CRCs are Debian's).
The headers' build tools come from linux-kbuild for this machine's architecture (Debian
ships it for cross builds). The compiler is Debian's gcc-12 for arm-linux-gnueabihf (the
kernel's own gcc 12.2), unpacked into the cache rather than installed: Debian's
gcc-12-arm-linux-gnueabihf conflicts with gcc-multilib, which the x86 port needs. The only
configuration added is what `CONFIG_SND_HDA_INTEL=m` adds to Debian's autoconf.h:
CONFIG_SND_HDA_INTEL_MODULE and CONFIG_SND_INTEL_DSP_CONFIG_MODULE (ACPI is off on armhf,
so nothing else is selected).

It also stages aplay and amixer (alsa-utils), libasound2 and its configuration files
(libasound2-data) and the glibc they run on (libc6, with its loader /lib/ld-linux-armhf.so.3),
all armhf, and a test tone (TONE, made here: see tone()), as a folder tree to copy into the
initramfs.

Everything goes to the cache beside fetch.py's (default ~/.cache/minivmm/debian-armhf/hda,
or $MINIVMM_CACHE); downloads are checked against the SHA256 sums of Debian's indexes, and
the built modules against the kernel's vermagic and Module.symvers. Run fetch.py first: the
kernel is the one in its cache, found through the armhf index it saved.

Prints the staged tree's folder, then the paths of the modules the initramfs carries for
sound, in load order (Debian's, then the two built here), one per line. The tree has that
order too, as lib/modules/sound.order (module names, one per line)."""
import argparse
import hashlib
import lzma
import math
import os
import pathlib
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import time
import wave

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import fetch  # noqa: E402  (the same mirror, cache and downloads as the kernel's)

TRIPLET = "arm-linux-gnueabihf"
# Debian's cross compiler, from this machine's architecture's index, unpacked (not installed):
# the driver, cc1, binutils, and the compiler's own headers (-print-file-name=include).
TOOLCHAIN = (f"gcc-12-{TRIPLET}", f"cpp-12-{TRIPLET}", f"binutils-{TRIPLET}", "libgcc-12-dev-armhf-cross")
UNUSED_TOOLS = (f"usr/lib/gcc-cross/{TRIPLET}/12/lto1", f"usr/bin/{TRIPLET}-lto-dump-12",
                f"usr/bin/{TRIPLET}-ld.gold", f"usr/bin/{TRIPLET}-dwp")
# The unmodified source files the two modules are built from (paths in linux-source-6.1).
SOURCES = ("sound/pci/hda/hda_intel.c", "sound/pci/hda/hda_intel.h", "sound/pci/hda/hda_intel_trace.h",
           "sound/pci/hda/hda_controller.h", "sound/hda/intel-dsp-config.c")
# As sound/pci/hda/Makefile and sound/hda/Makefile build them, with the two symbols that
# `CONFIG_SND_HDA_INTEL=m` adds to Debian's include/generated/autoconf.h (checked: .text,
# .rodata, .data and __versions are identical to a modules_prepare'd full tree's build).
KBUILD = """\
ccflags-y += -DCONFIG_SND_HDA_INTEL_MODULE=1 -DCONFIG_SND_INTEL_DSP_CONFIG_MODULE=1
snd-hda-intel-objs := hda_intel.o
CFLAGS_hda_intel.o := -I$(src)
obj-m += snd-hda-intel.o
snd-intel-dspcfg-objs := intel-dsp-config.o
obj-m += snd-intel-dspcfg.o
"""
BUILT = ("snd-intel-dspcfg", "snd-hda-intel")
# The modules the guest loads for sound: the controller driver and the generic codec
# parser (QEMU's hda-output codec, and minivmm's, have no vendor driver); their
# dependencies are found in each module's .modinfo and loaded first.
WANTED = ("snd-hda-codec-generic", "snd-hda-intel")
# Userland, armhf: (package, paths in it to stage). The loader goes to /lib, where the
# binaries' PT_INTERP names it; the libraries stay in the multiarch folders, which
# Debian's loader searches without an ld.so.cache.
USERLAND = (
    ("alsa-utils", ("usr/bin/aplay", "usr/bin/amixer")),
    ("libasound2", ("usr/lib/arm-linux-gnueabihf/libasound.so.2",)),
    ("libasound2-data", ("usr/share/alsa/**/*.conf",)),
    ("libc6", ("lib/arm-linux-gnueabihf/libc.so.6", "lib/arm-linux-gnueabihf/libm.so.6",
               "lib/arm-linux-gnueabihf/ld-linux-armhf.so.3=lib/ld-linux-armhf.so.3")),
)


TONE = "usr/share/sounds/tone.wav"


def tone_frames():
    """The sounding part of the guest's test sound, as 16-bit stereo frames: 1 s of 440 Hz at
    48 kHz, left +12000*sin and right -6000*sin (so a swap or a sign error shows). The
    grader's WAV check (grader/wavcheck.py, holds = "linux-tone") looks for exactly these."""
    rate, frames = 48000, 48000
    k = 2 * math.pi * 440 / rate
    return b"".join(struct.pack("<hh", round(12000 * math.sin(k * i)), round(-6000 * math.sin(k * i)))
                    for i in range(frames))


def tone(path):
    """The guest's test sound: tone_frames(), then 0.1 s of silence, so that what an HDA
    model still buffers when the stream stops (QEMU's hda-output drops up to ~2048 frames)
    is silence."""
    rate = 48000
    data = tone_frames() + bytes(4 * rate // 10)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data)


def say(msg):
    print(f"hda: {msg}", file=sys.stderr, flush=True)


def fail(msg):
    raise SystemExit(f"hda: {msg}")


def stanzas(index_text):
    """Every stanza of a Packages file as {field: value}: unlike fetch.packages, it keeps
    all the versions of a package (the index can list two of linux-source-6.1)."""
    for stanza in index_text.split("\n\n"):
        fields = dict(re.findall(r"^([A-Za-z0-9-]+): (.*)$", stanza, re.M))
        if "Package" in fields:
            yield fields


def pick(index, name, version=None):
    """The stanza of package `name` (at exactly `version` if given; else the only one)."""
    hits = [s for s in index if s["Package"] == name and (version is None or s["Version"] == version)]
    if not hits:
        fail(f"no {name}{' ' + version if version else ''} in Debian's index")
    return hits[-1]


def fetch_deb(stanza, cache):
    """The .deb of one index stanza in the cache, downloaded once and checked (SHA256)."""
    deb = cache / pathlib.Path(stanza["Filename"]).name
    if deb.exists() and sha256(deb) == stanza["SHA256"]:
        return deb
    fetch.download(f"{fetch.MIRROR}/{stanza['Filename']}", deb)
    if sha256(deb) != stanza["SHA256"]:
        deb.unlink()
        fail(f"{deb.name}: SHA256 does not match Debian's index")
    return deb


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def run(cmd, **kw):
    try:
        return subprocess.run(cmd, check=True, **kw)
    except FileNotFoundError:
        fail(f"{cmd[0]} not found")
    except subprocess.CalledProcessError as e:
        out = (e.stdout or b"").decode(errors="replace")[-4000:] if isinstance(e.stdout, bytes) else ""
        fail(f"{' '.join(map(str, cmd))} failed (exit {e.returncode}){':' + chr(10) + out if out else ''}")


def index(arch, cache):
    """The Packages index of one architecture: armhf is the one fetch.py saved (the kernel
    it extracted is in it); another (this machine's, for linux-kbuild) is fetched once a run."""
    if arch == "armhf":
        path = cache.parent / "Packages.xz"
        if not path.exists():
            fail(f"no {path}: run python3 guests/linux/fetch.py first")
    else:
        path = cache / f"Packages-{arch}.xz"
        fetch.download(f"{fetch.MIRROR}/dists/bookworm/main/binary-{arch}/Packages.xz", path)
    return list(stanzas(lzma.decompress(path.read_bytes()).decode()))


def elf_sections(data):
    """{name: bytes} of a little-endian ELF32 file (a .ko for ARM)."""
    if data[:5] != b"\x7fELF\x01":
        fail("not an ELF32 module")
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2e)
    heads = [struct.unpack_from("<IIIIII", data, shoff + i * shentsize) for i in range(shnum)]
    names = heads[shstrndx][4]
    out = {}
    for name, typ, _, _, off, size in heads:
        n = data[names + name:data.index(b"\0", names + name)].decode()
        out[n] = data[off:off + size] if typ != 8 else b""  # SHT_NOBITS
    return out


def module_bytes(path):
    """A module's ELF bytes (.ko, or .ko.xz as some kernel packages ship them)."""
    data = pathlib.Path(path).read_bytes()
    return lzma.decompress(data) if str(path).endswith(".xz") else data


def modinfo(path):
    """{key: value} of a module's .modinfo (the last of repeated keys)."""
    info = elf_sections(module_bytes(path)).get(".modinfo", b"")
    return dict(kv.split("=", 1) for kv in info.decode(errors="replace").split("\0") if "=" in kv)


def check_module(ko, vermagic, symvers):
    """The module's vermagic is the kernel's, and each CRC it was built against is Debian's."""
    info = modinfo(ko)
    if info.get("vermagic") != vermagic:
        fail(f"{ko.name}: vermagic {info.get('vermagic')!r}, the kernel's is {vermagic!r}")
    versions = elf_sections(ko.read_bytes()).get("__versions", b"")
    for i in range(0, len(versions), 64):
        crc, = struct.unpack_from("<I", versions, i)
        sym = versions[i + 4:i + 64].split(b"\0")[0].decode()
        if symvers.get(sym) != crc:
            fail(f"{ko.name}: CRC of {sym} is {crc:#010x}, Module.symvers has "
                 f"{'no ' + sym if sym not in symvers else hex(symvers[sym])}")
    return len(versions) // 64


def read_symvers(*paths):
    out = {}
    for p in paths:
        for line in pathlib.Path(p).read_text().splitlines():
            crc, sym = line.split("\t")[:2]
            out[sym] = int(crc, 16)
    return out


def extract_sources(source_deb, dest):
    """The SOURCES out of linux-source-6.1's tarball (which is inside the .deb): one pass
    through the decompressed stream, nothing else written."""
    want = {f"linux-source-6.1/{s}": dest / pathlib.Path(s).name for s in SOURCES}
    outer = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(source_deb)], stdout=subprocess.PIPE)
    found = False
    with tarfile.open(fileobj=outer.stdout, mode="r|") as deb_tar:
        for m in deb_tar:
            if m.name.endswith("/linux-source-6.1.tar.xz"):
                found = True
                with tarfile.open(fileobj=deb_tar.extractfile(m), mode="r|xz") as src:
                    for s in src:
                        if s.name in want:
                            want.pop(s.name).write_bytes(src.extractfile(s).read())
                            if not want:
                                break
                break
    outer.stdout.close()
    outer.kill()
    outer.wait()
    if not found:
        fail(f"{source_deb.name} has no linux-source-6.1.tar.xz")
    if want:
        fail(f"{source_deb.name} lacks {', '.join(want)}")


def load_order(mods_root, built, names):
    """Paths of the modules `names` and all they depend on (by .modinfo), dependencies
    first: the kernel package's, or the `built` ones."""
    by_name = {}
    for p in mods_root.glob("kernel/**/*.ko*"):
        by_name.setdefault(p.name.split(".ko")[0].replace("_", "-"), p)
    by_name.update((p.name[:-len(".ko")], p) for p in built)
    order, seen = [], set()

    def visit(name):
        key = name.replace("_", "-")
        if key in seen:
            return
        seen.add(key)
        if key not in by_name:
            fail(f"module {name} is neither in the kernel package nor built here")
        path = by_name[key]
        for dep in filter(None, modinfo(path).get("depends", "").split(",")):
            visit(dep)
        order.append(path)

    for name in names:
        visit(name)
    return order


def toolchain(cache, host_index, host_arch):
    """The prefix (folder/arm-linux-gnueabihf-) of Debian's cross gcc 12 and binutils,
    unpacked once into the cache. GCC finds cc1, as and its headers relative to itself."""
    root = cache / f"toolchain-{host_arch}"
    prefix = root / "usr" / "bin" / f"{TRIPLET}-"
    stamp = root / "done"
    want = " ".join(f"{s['Package']}={s['Version']}" for s in (pick(host_index, n) for n in TOOLCHAIN))
    if not (stamp.exists() and stamp.read_text() == want):
        if root.exists():
            shutil.rmtree(root)
        for name in TOOLCHAIN:
            fetch.extract(fetch_deb(pick(host_index, name), cache), root)
        for big in UNUSED_TOOLS:  # about 58 MB that a module build never runs
            (root / big).unlink(missing_ok=True)
        stamp.write_text(want)
    probe = subprocess.run([f"{prefix}gcc-12", "--version"], capture_output=True, text=True)
    if probe.returncode:
        fail(f"{prefix}gcc-12 does not run (the native gcc-12's libraries: libmpc3 libmpfr6 libgmp10 "
             f"libisl23 libzstd1): {probe.stderr.strip()[-500:]}")
    say(f"compiler: {probe.stdout.splitlines()[0]}")
    return str(prefix)


def build(cache, version, release, arm_index, host_arch):
    """Download, build and check; returns the two built .ko paths."""
    work = cache / release
    src, hdr = work / "src", work / "headers"
    for d in (src, hdr):
        if d.exists():
            shutil.rmtree(d)
    src.mkdir(parents=True)
    headers = f"linux-headers-{release}"
    depends = pick(arm_index, headers, version)["Depends"]
    common = re.search(r"(linux-headers-[^ ,]+-common) \(= ", depends)
    # linux-kbuild for this machine: its scripts (fixdep, modpost, genksyms, recordmcount)
    # run here; the armhf package's would not. Debian's dependency is ">=" the kernel's.
    dep = re.search(r"(linux-kbuild-[0-9.]+) \(>= ([^)]+)\)", depends)
    if not common or not dep:
        fail(f"{headers} depends on no linux-headers-*-common or linux-kbuild: {depends}")
    common = common.group(1)
    debs = {n: fetch_deb(pick(arm_index, n, version), cache) for n in (common, headers, "linux-source-6.1")}
    host_index = index(host_arch, cache)
    kbuild = pick(host_index, dep.group(1))
    if subprocess.run(["dpkg", "--compare-versions", kbuild["Version"], "ge", dep.group(2)]).returncode:
        fail(f"{dep.group(1)} for {host_arch} is {kbuild['Version']}, {headers} needs >= {dep.group(2)}")
    debs["kbuild"] = fetch_deb(kbuild, cache)
    cross = toolchain(cache, host_index, host_arch)
    t = time.monotonic()
    extract_sources(debs["linux-source-6.1"], src)
    say(f"extracted {len(SOURCES)} files of linux-source-6.1 {version} ({time.monotonic() - t:.1f} s)")
    for name in ("kbuild", common, headers):
        fetch.extract(debs[name], hdr)
    tree = hdr / "usr" / "src" / headers
    # Debian's headers Makefile includes the common tree by its absolute /usr/src path.
    mk = tree / "Makefile"
    mk.write_text(re.sub(r"^include /usr/src/", f"include {hdr}/usr/src/", mk.read_text(), flags=re.M))
    (src / "Kbuild").write_text(KBUILD)
    t = time.monotonic()
    run(["make", "-s", "-C", str(tree), f"M={src}", "ARCH=arm", f"CROSS_COMPILE={cross}", f"CC={cross}gcc-12",
         f"-j{os.cpu_count() or 2}", "modules"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    say(f"built {', '.join(m + '.ko' for m in BUILT)} ({time.monotonic() - t:.1f} s)")
    vermagic = modinfo(next((fetch.cache_dir() / "root" / "lib" / "modules" / release / "kernel")
                            .glob("sound/pci/hda/snd-hda-codec.ko*"))).get("vermagic")
    symvers = read_symvers(tree / "Module.symvers", src / "Module.symvers")
    out = []
    for m in BUILT:
        ko = work / f"{m}.ko"
        # Debian's packaged modules carry no debug info (the .config has DEBUG_INFO=y).
        run([f"{cross}strip", "--strip-debug", "-o", str(ko), str(src / f"{m}.ko")])
        n = check_module(ko, vermagic, symvers)
        say(f"{ko.name}: vermagic {vermagic.strip()!r}, {n} CRCs match Module.symvers")
        out.append(ko)
    shutil.rmtree(hdr)
    return out


def stage_userland(cache, arm_index, rootfs):
    if rootfs.exists():
        shutil.rmtree(rootfs)
    unpack = cache / "userland"
    if unpack.exists():
        shutil.rmtree(unpack)
    for pkg, paths in USERLAND:
        deb = fetch_deb(pick(arm_index, pkg), cache)
        fetch.extract(deb, unpack / pkg)
        for spec in paths:
            src_rel, _, dest_rel = spec.partition("=")
            hits = sorted((unpack / pkg).glob(src_rel)) if "*" in src_rel else [unpack / pkg / src_rel]
            if not hits or not all(h.exists() for h in hits):
                fail(f"{pkg} has no {src_rel}")
            for h in hits:
                rel = dest_rel or str(h.relative_to(unpack / pkg))
                dest = rootfs / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(h.resolve(), dest)
                dest.chmod(0o755 if os.access(h.resolve(), os.X_OK) else 0o644)
    shutil.rmtree(unpack)
    (rootfs / TONE).parent.mkdir(parents=True, exist_ok=True)
    tone(rootfs / TONE)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 guests/linux/build_hda.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.parse_args(argv)
    cache = fetch.cache_dir() / "hda"
    cache.mkdir(parents=True, exist_ok=True)
    try:
        arm_index = index("armhf", cache)
        kernel = re.match(r"(linux-image-[^ ,]+)", pick(arm_index, fetch.KERNEL_META)["Depends"]).group(1)
        version = pick(arm_index, kernel)["Version"]
        release = kernel[len("linux-image-"):]
        mods_root = fetch.cache_dir() / "root" / "lib" / "modules" / release
        if not mods_root.is_dir():
            fail(f"{mods_root} is missing: run python3 guests/linux/fetch.py first")
        work = cache / release
        built = [work / f"{m}.ko" for m in BUILT]
        rootfs = work / "rootfs"
        stamp = work / "done"
        if not (stamp.exists() and rootfs.is_dir() and all(p.exists() for p in built)):
            host_arch = subprocess.run(["dpkg", "--print-architecture"], check=True,
                                       capture_output=True, text=True).stdout.strip()
            built = build(cache, version, release, arm_index, host_arch)
            stage_userland(cache, arm_index, rootfs)
            stamp.write_text(f"{kernel} {version}\n")
            say(f"snd-hda-intel for {kernel} {version} and aplay in {work}")
    except OSError as e:
        fail(f"cannot fetch or build: {e}")
    order = load_order(mods_root, built, WANTED)
    # The load order, for the guest's console (busybox insmod reads no modules.dep).
    names = "".join(f"{p.name.split('.ko')[0]}\n" for p in order)
    listing = rootfs / "lib" / "modules" / "sound.order"
    if not listing.exists() or listing.read_text() != names:
        listing.parent.mkdir(parents=True, exist_ok=True)
        listing.write_text(names)
    print("\n".join(str(p) for p in (rootfs, *order)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
