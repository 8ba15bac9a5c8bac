"""The pristine build cache: the kit with every student file at its skeleton, built once per kit content, ARCH and toolchain, that each grading tree starts from.

An entry is build/grade-cache/<arch>-<key16>/: build/ (skel, guest with the hidden tests'
image tinykernel-hidden.elf, fixtures) and
entry.json (the whole key, and the size and mtime of every file, to tell a broken entry
from a whole one). The key is a sha256 of every file of the kit copy (paths, modes and
bytes, student files as their skeletons), ARCH, and what else makes the objects: make's
compilers and flags as this very build would use them (the environment and an outer
make may set HOSTCC, CROSS...), their --version, the assemblers', Check's version and
the Debian packages of the compilers and C libraries. Entries are made in a temporary
folder beside them and renamed into place under an exclusive flock, and read under a
shared one, so two graders never build one twice nor read a half-written or pruned one.
A grading tree gets a copy of its entry's build/ (tree.seed), its kit files all given
one old mtime (tree.settle), so make keeps every object whose sources are the entry's,
and compiles the student files that differ from their skeletons (seed removes their
skeleton's objects) and links again.
"""
import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import pathlib
import shutil
import sys
import tempfile

from . import manifest, proc, runner, tree

ROOT = manifest.ROOT
KEEP = 3                      # entries kept, the most recently used
FORMAT = "minivmm grade cache 2"  # 2: with the hidden tests' guest image
TOOLCHAIN = "mv-grade-toolchain"
# A make rule (added with --eval, so the Makefile needs none) that prints what, besides the
# kit's bytes, decides the objects.
TOOLCHAIN_RULE = "\n".join([
    f"{TOOLCHAIN}:",
    "\t@echo 'HOSTCC=$(HOSTCC) CC_TARGET=$(CC_TARGET) PYTHON=$(PYTHON)'",
    "\t@echo 'HOSTFLAGS=$(HOSTFLAGS) TARGET_FLAGS=$(TARGET_FLAGS) CHECK_FLAGS=$(CHECK_FLAGS)'",
    "\t@$(HOSTCC) --version && $(CC_TARGET) --version",
    "\t@$$($(HOSTCC) -print-prog-name=as) --version | head -n 1",
    "\t@$$($(CC_TARGET) -print-prog-name=as) --version | head -n 1",
    "\t@pkg-config --modversion check 2>/dev/null || true",
    "\t@dpkg-query -W gcc libc6-dev check $(ARCH_PKGS) 2>/dev/null || true",
    ""])


def folder(root=ROOT):
    return pathlib.Path(root) / "build" / "grade-cache"


def toolchain(kit, arch):
    """What make in kit (for arch) would compile with, as text; None if make cannot say."""
    argv = runner.make_argv(kit, ["-s", "--no-print-directory", f"--eval={TOOLCHAIN_RULE}", TOOLCHAIN], arch)
    r = proc.run(argv, 60)
    return r.output if r.status == 0 else None


def key(kit, arch, tools, skeletons, root=ROOT):
    """The sha256 (hex) of a tree's kit with each student file as its skeleton
    (skeletons: {path: bytes}), and of root's hidden tests (which no grading tree holds,
    but the entry's hidden image is made of), ARCH and the toolchain's text."""
    h = hashlib.sha256(f"{FORMAT}\0{arch}\0{tools}\0".encode())
    files = [(rel, pathlib.Path(kit, rel)) for rel in tree.kit_files(kit)]
    files += [(rel, pathlib.Path(root, rel)) for rel in tree.hidden_files(root)]
    for rel, path in files:
        data = skeletons[rel] if rel in skeletons else path.read_bytes()
        h.update(f"{rel}\0{os.stat(path).st_mode & 0o111:o}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def _skeletons(kit, files, root):
    """{path: skeleton bytes} of the student files in kit; None if one cannot be known."""
    out = {f: tree.skeleton(f, root, strict=True) for f in files if pathlib.Path(kit, f).is_file()}
    return None if None in out.values() else out


def _files(build):
    """{relative path: [size, mtime_ns]} of every file under build."""
    out = {}
    for p in sorted(pathlib.Path(build).rglob("*")):
        if p.is_file():
            st = p.stat()
            out[p.relative_to(build).as_posix()] = [st.st_size, st.st_mtime_ns]
    return out


def intact(entry, full_key):
    """Whether entry is a whole entry for full_key: every file it recorded is there,
    with its size and mtime (a missing or rewritten object makes it broken)."""
    try:
        data = json.loads((entry / "entry.json").read_text())
    except (OSError, ValueError):
        return False
    if data.get("key") != full_key:
        return False
    for rel, (size, mtime) in data.get("files", {}).items():
        try:
            st = (entry / "build" / rel).stat()
        except OSError:
            return False
        if (st.st_size, st.st_mtime_ns) != (size, mtime):
            return False
    return True


def student_files(labs, arch):
    """The student files of a track: those a grading tree of that ARCH compares with their skeletons."""
    return [f for lab in labs if lab.arch == arch for f in lab.student_files]


def _open_lock(cache):
    """The cache's lock file; read-only where the cache is (a sandboxed grader may only read it)."""
    try:
        cache.mkdir(parents=True, exist_ok=True)
        return open(cache / "lock", "a")
    except PermissionError:
        return open(cache / "lock")


@contextlib.contextmanager
def _locked(cache, how):
    """flock on the cache's lock file: shared to read an entry, exclusive to make or prune one."""
    with _open_lock(cache) as f:
        fcntl.flock(f, how)
        yield


def _say(text):
    print(f"grader: {text}", file=sys.stderr, flush=True)


def _prune(cache, keep=KEEP):
    """Remove all but the keep most recently used entries (and leftovers of interrupted builds)."""
    entries = sorted((p for p in cache.iterdir() if p.is_dir() and not p.name.startswith("tmp-")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for p in entries[keep:] + [p for p in cache.iterdir() if p.name.startswith("tmp-")]:
        shutil.rmtree(p, ignore_errors=True)


# Security: the grader treats student code as hostile. So an entry is made only from the
# pristine kit: a fresh tree.make_tree copy (no solutions/, no grader fixtures) with every
# student file replaced by its skeleton (tree.skeleton, strict: never a student's working
# copy when git cannot say what the skeleton is), built by runner.build in a tree of its
# own, never a grading tree: nothing a submission contains can reach a cached object or
# test file. Each grading tree then gets a private copy of the entry's build/ (tree.seed
# copies bytes, never links), so what a student's build or tests write there cannot reach
# the entry; and a student file that differs from its skeleton has every product of its
# skeleton removed from that copy and is compiled afresh.
def _create(cache, entry, full_key, arch, files, jobs, root):
    """Build the pristine kit in a temporary folder beside entry, then rename it into
    place. Called with the exclusive lock held. Returns True if entry now exists."""
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="tmp-", dir=cache))
    try:
        kit = tree.make_tree({}, root=root, parent=tmp, hidden=True)  # the pristine kit (see above)
        skeletons = _skeletons(kit, files, root)
        tools = toolchain(kit, arch)
        if skeletons is None or tools is None:
            return False
        for f, data in skeletons.items():
            (kit / f).write_bytes(data)
        if key(kit, arch, tools, skeletons, root) != full_key:
            _say("the kit changed while grading; grading without the build cache")
            return False
        tree.settle(kit)
        shown = entry.relative_to(root) if entry.is_relative_to(root) else entry
        _say(f"building the pristine kit once for the build cache ({shown})")
        ok, log = runner.build(kit, jobs, arch=arch, targets=("all", "unit-bins", "guest-hidden"))
        if not ok:
            _say("the pristine kit does not build; grading without the build cache:\n"
                 + runner._tail(log, 15))
            return False
        (kit / "build").rename(tmp / "build")
        shutil.rmtree(kit.parent)
        (tmp / "entry.json").write_text(json.dumps({"key": full_key, "files": _files(tmp / "build")}))
        shutil.rmtree(entry, ignore_errors=True)  # a broken entry of the same key
        tmp.rename(entry)
        _prune(cache)
        return True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def start(kit, arch, files, jobs, units=None, root=ROOT):
    """Start kit/build (a grading tree's) from a copy of the cache's entry for this kit
    (made first if there is none, or it is broken). files: every student file; units:
    the Check programs to keep (tree.seed). Returns False if there is no entry to start
    from (the tree is then built whole, as without a cache)."""
    skeletons = _skeletons(kit, files, root)
    if skeletons is None:
        _say("no build cache: git cannot say what the skeleton of every student file is")
        return False
    tools = toolchain(kit, arch)
    if tools is None:
        _say("no build cache: make cannot say which compilers it uses")
        return False
    full_key = key(kit, arch, tools, skeletons, root)
    cache = folder(root)
    entry = cache / f"{arch}-{full_key[:16]}"
    try:
        for _ in range(2):  # once made, read it under the shared lock
            with _locked(cache, fcntl.LOCK_SH):
                if intact(entry, full_key):
                    tree.seed(kit, entry / "build", files, settled=True, units=units)
                    with contextlib.suppress(OSError):  # recently used: kept by _prune
                        os.utime(entry)
                    return True
            with _locked(cache, fcntl.LOCK_EX):
                if not intact(entry, full_key) and not _create(cache, entry, full_key, arch, files, jobs, root):
                    return False
    except OSError as e:  # a read-only or full disk: grade without the cache
        _say(f"no build cache ({e})")
        shutil.rmtree(kit / "build", ignore_errors=True)
    return False


def main(argv=None):
    """`python3 -m grader.cache`: make the entries for this kit now (Gradescope's setup.sh
    does, so that no submission pays for the pristine build)."""
    ap = argparse.ArgumentParser(prog="python3 -m grader.cache", description=(
        "Build the grader's pristine build cache (build/grade-cache/) for this kit, one entry "
        "per architecture of the labs. Grading makes it by itself when it is missing."))
    ap.add_argument("--jobs", type=int, default=runner.default_jobs(), help="make -j")
    a = ap.parse_args(argv)
    labs = manifest.load_all()
    made = True
    for arch in dict.fromkeys(lab.arch for lab in labs):
        kit = tree.make_tree({})
        try:
            made = start(kit, arch, student_files(labs, arch), a.jobs) and made
        finally:
            tree.remove_tree(kit)
    print(f"cache: {'ready' if made else 'not made (see above)'}: {folder()}")
    return 0 if made else 1


if __name__ == "__main__":
    sys.exit(main())
