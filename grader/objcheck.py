"""Object inspection: every student object (ARM and host) is read before anything runs.

Three rules (docs/instructor/sandbox.rst, "Object inspection"), on the objects that the
sandboxed build made, treated as hostile input (a malformed ELF is a failed build):

1. External symbols: each undefined symbol must be on the file's allow-list: a global
   symbol that the kit's own objects of the same build define (every object but the
   student files'), an undefined symbol of the file's skeleton or reference object
   (compiled here, in a trusted step, from tree.skeleton and solutions/), or a symbol the
   compiler emits calls to by itself (ARM: libgcc's; host: ASan/UBSan's, mem*).
2. No constructors or destructors (.init_array, .fini_array, .preinit_array, .ctors,
   .dtors, by name or section type). A host object may keep exactly what ASan adds to
   every reference host object: .init_array.00099 / .fini_array.00099, one entry each,
   pointing to gcc's module constructor _sub_I_00099_<n> / destructor _sub_D_00099_<n>,
   whose code calls only __asan_* functions.
3. In the ARM object's code: no semihosting trap (HLT), no SVC, no SMC (A32, and T32 in
   Thumb regions); the exact HLT #0xF000 word is refused in any allocated section.
"""
import hashlib
import json
import os
import pathlib
import re
import shlex
import struct
import subprocess
import tempfile

from . import manifest, tree

ROOT = manifest.ROOT
MAX_OBJECT = 64 << 20
# Files that may hold HLT/SVC/SMC (none of today's student files does).
TRAP_FILES = frozenset()
CTOR_PREFIXES = (".init_array", ".fini_array", ".preinit_array", ".ctors", ".dtors")
CTOR_TYPES = {14: ".init_array", 15: ".fini_array", 16: ".preinit_array"}
ASAN_CTOR = re.compile(r"_sub_[ID]_00099_\d+\Z")
ASAN_SECTIONS = {".init_array.00099": "I", ".fini_array.00099": "D"}
HOST_RUNTIME = re.compile(r"(__asan_|__ubsan_handle_)|(memcpy|memmove|memset|memcmp|__stack_chk_fail"
                          r"|_GLOBAL_OFFSET_TABLE_)\Z")
# What make compiles a student file with (added with --eval, as grader/cache.py does).
FLAGS_RULE = "\n".join([
    "mv-inspect-flags:",
    "\t@echo 'arm=$(CC_TARGET) $(TARGET_FLAGS) $(INCLUDES)'",
    "\t@echo 'host=$(HOSTCC) $(HOSTFLAGS) $(INCLUDES) -Iminivmm/tests/unit'",
    ""])


class ElfError(Exception):
    pass


class Elf:
    """A relocatable little-endian ELF (32 or 64 bit), parsed with bounds checks."""

    def __init__(self, data, machine):
        self.data = data
        try:
            self._parse(machine)
        except (struct.error, IndexError, ValueError, OverflowError, UnicodeDecodeError) as e:
            raise ElfError(f"malformed ELF ({type(e).__name__})") from None

    def _u(self, fmt, off):
        if off < 0:
            raise ValueError("negative offset")
        return struct.unpack_from("<" + fmt, self.data, off)

    def _bytes(self, off, size):
        if off < 0 or size < 0 or off + size > len(self.data):
            raise ValueError("out of the file")
        return self.data[off:off + size]

    def _parse(self, machine):
        d = self.data
        if d[:4] != b"\x7fELF" or d[5] != 1 or d[4] not in (1, 2):
            raise ElfError("not a little-endian ELF object")
        self.is64 = d[4] == 2
        e_type, e_machine = self._u("HH", 16)
        if e_type != 1 or e_machine != machine:
            raise ElfError(f"not a relocatable object for machine {machine} (type {e_type}, machine {e_machine})")
        if self.is64:
            shoff, = self._u("Q", 0x28)
            shentsize, shnum, shstrndx = self._u("HHH", 0x3A)
            fmt = "IIQQQQIIQQ"
        else:
            shoff, = self._u("I", 0x20)
            shentsize, shnum, shstrndx = self._u("HHH", 0x2E)
            fmt = "IIIIIIIIII"
        if shentsize != struct.calcsize("<" + fmt) or shnum == 0 or shstrndx >= shnum:
            raise ElfError("malformed section header table")
        raw = [self._u(fmt, shoff + i * shentsize) for i in range(shnum)]
        # name, type, flags, addr, offset, size, link, info, align, entsize
        strtab = raw[shstrndx]
        self.sections = []
        for s in raw:
            data = b"" if s[1] == 8 else self._bytes(s[4], s[5])  # NOBITS has none
            self.sections.append({"name": self._str(strtab, s[0]), "type": s[1], "flags": s[2],
                                  "size": s[5], "link": s[6], "info": s[7], "data": data})
        self.symbols = []
        for i, s in enumerate(self.sections):
            if s["type"] == 2:
                if s["link"] >= shnum:
                    raise ElfError("symbol table without a string table")
                self._symbols(s, raw[s["link"]])
                self.symtab = i
        self.relocs = {}  # target section index -> [(offset, symbol index, addend)]
        for s in self.sections:
            if s["type"] in (4, 9):
                self.relocs.setdefault(s["info"], []).extend(self._relocs(s))

    def _str(self, strsec, off):
        base, size = strsec[4], strsec[5]
        if off >= size:
            raise ValueError("string out of its table")
        end = self.data.find(b"\0", base + off, base + size)
        return self._bytes(base + off, (end if end >= 0 else base + size) - base - off).decode("utf-8", "replace")

    def _symbols(self, sec, strsec):
        fmt, size = ("IBBHQQ", 24) if self.is64 else ("IIIBBH", 16)
        for i in range(len(sec["data"]) // size):
            f = struct.unpack_from("<" + fmt, sec["data"], i * size)
            if self.is64:
                name, info, _, shndx, value, sz = f
            else:
                name, value, sz, info, _, shndx = f
            self.symbols.append({"name": self._str(strsec, name) if name else "", "value": value,
                                 "size": sz, "bind": info >> 4, "type": info & 15, "shndx": shndx})

    def _relocs(self, sec):
        rela = sec["type"] == 4
        if self.is64:
            fmt = "QQq" if rela else "QQ"
        else:
            fmt = "IIi" if rela else "II"
        size = struct.calcsize("<" + fmt)
        out = []
        for i in range(len(sec["data"]) // size):
            f = struct.unpack_from("<" + fmt, sec["data"], i * size)
            sym = f[1] >> 32 if self.is64 else f[1] >> 8
            if sym >= len(self.symbols):
                raise ElfError("relocation of a symbol that is not there")
            out.append((f[0], sym, f[2] if rela else None))
        return out

    def undefined(self):
        return sorted({s["name"] for s in self.symbols if s["shndx"] == 0 and s["name"] and s["bind"] in (1, 2)})

    def defined(self):
        return {s["name"] for s in self.symbols if s["shndx"] != 0 and s["name"] and s["bind"] in (1, 2)}


def load(path, arch_or_host):
    """Elf of an object file; ElfError if it is missing, too big or malformed."""
    machine = 40 if arch_or_host == "arm" else 62
    try:
        size = os.stat(path).st_size
        if size > MAX_OBJECT:
            raise ElfError(f"{size} bytes, more than an object file should be")
        data = pathlib.Path(path).read_bytes()
    except OSError as e:
        raise ElfError(f"cannot read it ({e.strerror})") from None
    return Elf(data, machine)


def _where(obj, sec, off):
    return f"{pathlib.Path(obj).name} {sec}+{off:#x}"


def _ctor_sections(elf):
    return [(i, s) for i, s in enumerate(elf.sections)
            if s["name"].startswith(CTOR_PREFIXES) or s["type"] in CTOR_TYPES]


def _asan_ctor_ok(elf, idx, sec):
    """Whether ctor section idx of a host object is exactly ASan's module constructor/destructor."""
    kind = ASAN_SECTIONS.get(sec["name"])
    relocs = elf.relocs.get(idx, [])
    if kind is None or sec["size"] != 8 or len(relocs) != 1 or relocs[0][0] != 0:
        return False
    _, si, addend = relocs[0]
    target = elf.symbols[si]
    shndx, value = target["shndx"], target["value"] + (addend or 0)
    if not 0 < shndx < len(elf.sections):
        return False
    funcs = [s for s in elf.symbols if s["type"] == 2 and s["shndx"] == shndx and s["value"] == value]
    if len(funcs) != 1 or funcs[0]["bind"] != 0 or not ASAN_CTOR.match(funcs[0]["name"]) \
            or funcs[0]["name"][5] != kind or not 0 < funcs[0]["size"] <= 64:
        return False
    f = funcs[0]
    code = elf.sections[shndx]["data"][f["value"]:f["value"] + f["size"]]
    if any(op in code for op in (b"\x0f\x05", b"\x0f\x34", b"\xcd\x80")):  # syscall, sysenter, int 0x80
        return False
    for off, rs, _ in elf.relocs.get(shndx, []):
        if f["value"] <= off < f["value"] + f["size"]:
            s = elf.symbols[rs]
            if not (s["name"].startswith("__asan_") or (s["type"] == 3 and s["shndx"] != 0)):
                return False  # only ASan's functions and the object's own (section) data
    return True


def constructors(elf, obj, host):
    """Messages for the constructors/destructors of an object."""
    out = []
    for idx, s in _ctor_sections(elf):
        if host and _asan_ctor_ok(elf, idx, s):
            continue
        if s["name"].startswith(".rel") and s["type"] in (4, 9):
            continue  # the relocations of one: reported with it
        out.append(f"has a constructor or destructor ({s['name'] or CTOR_TYPES.get(s['type'])}) in "
                   f"{pathlib.Path(obj).name}")
    return out


def _mapping(elf, idx):
    """[(offset, 'a'|'t'|'d')] of an ARM section's mapping symbols, sorted."""
    marks = sorted((s["value"], s["name"][1]) for s in elf.symbols
                   if s["shndx"] == idx and re.match(r"\$[atd](\.|\Z)", s["name"]))
    return marks


def traps(elf, obj):
    """Messages for HLT/SVC/SMC in an ARM object."""
    out = []
    for idx, s in enumerate(elf.sections):
        if s["type"] != 1 or not s["flags"] & 2:  # allocated PROGBITS only
            continue
        data = s["data"]
        if not s["flags"] & 4:  # data: the exact semihosting trap only
            for off in range(0, len(data) - 3, 4):
                if struct.unpack_from("<I", data, off)[0] == 0xE10F0070:
                    out.append(f"contains the semihosting trap HLT #0xF000 at {_where(obj, s['name'], off)}")
            continue
        marks = _mapping(elf, idx)
        region = lambda off: next((k for v, k in reversed(marks) if v <= off), "a")  # noqa: E731
        for off in range(0, len(data) - 3, 4):
            w = struct.unpack_from("<I", data, off)[0]
            arm = region(off) == "a"
            cond = w >> 28
            if w & 0xFFF000F0 == 0xE1000070:
                imm = ((w >> 4) & 0xFFF0) | (w & 0xF)
                what = "the semihosting trap HLT #0xF000" if imm == 0xF000 else f"HLT #{imm:#x}"
                out.append(f"contains {what} at {_where(obj, s['name'], off)}")
            elif w & 0x0FFFFFF0 == 0x01600070 and cond != 0xF and (arm or cond == 0xE):
                out.append(f"contains SMC #{w & 0xF} at {_where(obj, s['name'], off)}")
            elif w & 0x0F000000 == 0x0F000000 and cond != 0xF and (arm or cond == 0xE):
                out.append(f"contains SVC #{w & 0xFFFFFF:#x} at {_where(obj, s['name'], off)}")
        for start, kind in marks:
            if kind != "t":
                continue
            end = next((v for v, _ in marks if v > start), len(data))
            off = start
            while off + 1 < min(end, len(data)):
                hw = struct.unpack_from("<H", data, off)[0]
                if hw >> 11 in (0x1D, 0x1E, 0x1F) and off + 3 < len(data):
                    hw2 = struct.unpack_from("<H", data, off + 2)[0]
                    if hw & 0xFFF0 == 0xF7F0 and hw2 & 0xF000 == 0x8000:
                        out.append(f"contains SMC #{hw & 0xF} (Thumb) at {_where(obj, s['name'], off)}")
                    off += 4
                    continue
                if hw & 0xFFC0 == 0xBA80:
                    imm = hw & 0x3F
                    what = "the semihosting trap HLT #0x3c" if imm == 0x3C else f"HLT #{imm:#x}"
                    out.append(f"contains {what} (Thumb) at {_where(obj, s['name'], off)}")
                elif hw & 0xFF00 == 0xDF00:
                    out.append(f"contains SVC #{hw & 0xFF} (Thumb) at {_where(obj, s['name'], off)}")
                off += 2
    return out


# ---- the allow-list: trusted compiles of the skeleton and the reference

def _flags(root):
    r = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(root), f"--eval={FLAGS_RULE}",
                        "mv-inspect-flags", "SOLUTIONS=0", "SUBMISSION="],
                       capture_output=True, text=True, timeout=60)
    if r.returncode:
        raise ElfError(f"make cannot say how it compiles: {r.stderr.strip()[:200]}")
    out = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
    strip = {"-MMD", "-MD", "-MP", "-Werror", "-g"}
    return {k: [w for w in shlex.split(v) if w not in strip] for k, v in out.items() if k in ("arm", "host")}


def _libgcc(argv, root):
    """The symbols libgcc defines (what the ARM compiler calls by itself: __aeabi_uidiv...)."""
    r = subprocess.run([*argv, "-print-libgcc-file-name"], capture_output=True, text=True, cwd=root, timeout=60)
    nm = argv[0].replace("gcc", "nm") if argv[0].endswith("gcc") else "nm"
    n = subprocess.run([nm, "-g", "--defined-only", r.stdout.strip()], capture_output=True, text=True, timeout=60)
    return sorted({line.split()[-1] for line in n.stdout.splitlines() if len(line.split()) == 3})


def _compile_undefined(argv, source, f, root, kind):
    with tempfile.TemporaryDirectory(prefix="mvinspect-") as tmp:
        src = pathlib.Path(tmp, pathlib.Path(f).name)
        src.write_bytes(source)
        obj = src.with_suffix(".o")
        r = subprocess.run([*argv, "-iquote", str(pathlib.Path(root, f).parent), "-c", str(src), "-o", str(obj)],
                           capture_output=True, text=True, cwd=root, timeout=120)
        if r.returncode:
            return None
        return load(obj, kind).undefined()


def _headers_digest(root):
    h = hashlib.sha256()
    for p in sorted(pathlib.Path(root, "minivmm").rglob("*.h")):
        h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def trusted_symbols(files, root=ROOT, arch="arm"):
    """{"libgcc": [...], file: {"arm": [...], "host": [...]}}: the undefined symbols of each
    student file's skeleton and reference objects (both kinds), compiled here from trusted
    sources; remembered in build/grade-cache/inspect-<arch>.json by their inputs."""
    root = pathlib.Path(root)
    flags = _flags(root)
    cache_file = root / "build" / "grade-cache" / f"inspect-{arch}.json"
    try:
        memo = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        memo = {}
    tools = hashlib.sha256(json.dumps(flags).encode() + _headers_digest(root).encode()).hexdigest()
    changed = False
    if memo.get("libgcc", {}).get("key") != tools:
        memo["libgcc"] = {"key": tools, "symbols": _libgcc(flags["arm"], root)}
        changed = True
    out = {"libgcc": memo["libgcc"]["symbols"]}
    for f in files:
        sources = [tree.skeleton(f, root, strict=True)]
        ref = root / "solutions" / f
        if ref.is_file():
            sources.append(ref.read_bytes())
        out[f] = {"arm": set(), "host": set()}
        for kind in ("arm", "host"):
            for src in sources:
                if src is None:
                    continue
                k = hashlib.sha256(f"{tools}\0{kind}\0{f}\0".encode() + src).hexdigest()
                if k not in memo:
                    und = _compile_undefined(flags[kind], src, f, root, kind)
                    if und is None:
                        continue
                    memo[k] = und
                    changed = True
                out[f][kind].update(memo[k])
    if changed:
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_name(f".{cache_file.name}.{os.getpid()}")
            tmp.write_text(json.dumps(memo))
            os.replace(tmp, cache_file)
        except OSError:
            pass
    return out


def framework_symbols(kit, kind, student_files, variant="skel"):
    """The global symbols that the kit's own objects of a build define (every object of
    build/<variant>/<vmm|host> but the student files')."""
    base = pathlib.Path(kit, "build", variant, "vmm" if kind == "arm" else "host")
    skip = {base / f"{f}.o" for f in student_files}
    out = set()
    for p in base.rglob("*.o"):
        if p in skip:
            continue
        try:
            out |= load(p, kind).defined()
        except ElfError:
            continue
    return out


def inspect(kit, files, all_student_files, lab_of, root=ROOT, variant="skel", arch="arm"):
    """{student file: the first violation, a message} for files (student files of the tree).
    lab_of(file) -> the lab's number, for the message."""
    if not files:
        return {}
    trusted = trusted_symbols(files, root, arch)
    frame = {k: framework_symbols(kit, k, all_student_files, variant) for k in ("arm", "host")}
    found = {}
    for f in files:
        problems = []
        for kind in ("arm", "host"):
            obj = pathlib.Path(kit, "build", variant, "vmm" if kind == "arm" else "host", f"{f}.o")
            try:
                elf = load(obj, kind)
            except ElfError as e:
                problems.append(f"{f}: its {'ARM' if kind == 'arm' else 'host'} object cannot be inspected: {e}")
                continue
            allowed = frame[kind] | trusted[f][kind]
            for sym in elf.undefined():
                if sym in allowed or (kind == "arm" and sym in trusted["libgcc"]) \
                        or (kind == "host" and HOST_RUNTIME.match(sym)):
                    continue
                problems.append(f"{f} calls {sym}() (an external symbol of its "
                                f"{'ARM' if kind == 'arm' else 'host'} object), which no lab {lab_of(f)} code needs")
            problems += [f"{f} {m}" for m in constructors(elf, obj, kind == "host")]
            if kind == "arm" and f not in TRAP_FILES:
                problems += [f"{f} {m}" for m in traps(elf, obj)]
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            found[f] = problems[0] + more
    return found
