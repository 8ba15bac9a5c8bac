"""Build trees: a pristine copy of the kit with chosen student files laid over it, and submission intake."""
import dataclasses
import functools
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import zipfile

from . import proc
from .manifest import ROOT

# Never copied into a build tree: build products, VCS data, caches, and every
# working answer (the reference, the grader's fixtures), which a submission
# could otherwise #include.
SKIP_NAMES = {"build", ".git", "__pycache__", "_build"}
SKIP_PATHS = {"solutions", "grader/tests/fixtures"}
# The instructor's hidden tests: never in a grading tree either. Their programs reach a
# grading tree only compiled, in an image of their own (build/guest/tinykernel-hidden.elf,
# made by the trusted build cache: grader/cache.py), which only hidden tests boot; the
# manifests are read from the instructor's repository, not from the tree.
HIDDEN_DIR = "guests/tinykernel/programs/hidden"
HIDDEN_MANIFEST = "hidden.toml"  # in a lab's folder
MAX_SUBMISSION_FILE = 1 << 20  # a student file is source code: 1 MiB is plenty
MAX_ZIP_TOTAL = 64 << 20
MAX_ZIP_ENTRIES = 10000


def is_hidden(rel):
    """Whether a repo-relative posix path is (under) one of the hidden tests' files."""
    parts = pathlib.PurePosixPath(rel).parts
    return rel == HIDDEN_DIR or rel.startswith(HIDDEN_DIR + "/") or \
        (len(parts) == 3 and parts[0] == "labs" and parts[2] == HIDDEN_MANIFEST)


def hidden_files(root=ROOT):
    """The hidden tests' files of the repository at root (repo-relative posix paths, sorted)."""
    root = pathlib.Path(root)
    found = list(root.glob(f"labs/*/{HIDDEN_MANIFEST}")) + [p for p in (root / HIDDEN_DIR).rglob("*") if p.is_file()]
    return sorted(p.relative_to(root).as_posix() for p in found)


def _ignore_for(root, hidden=False):
    root = pathlib.Path(root).resolve()

    def ignore(src, names):
        rel = pathlib.Path(src).resolve().relative_to(root)
        return {n for n in names
                if n in SKIP_NAMES or n.endswith(".pyc") or (rel / n).as_posix() in SKIP_PATHS
                or (not hidden and is_hidden((rel / n).as_posix()))}
    return ignore


class SubmissionError(Exception):
    """A submission that cannot be read at all (missing, a broken zip, a clone that failed)."""


# For grader/samples.py only: a build/ folder to start each grading tree from instead
# of the pristine build cache (grader/cache.py), so that the handouts' `make grade`
# samples start from their copy's own build (in which lab files may be done) and cost
# seconds, not a whole build each. Grading itself never sets it.
WARM_ENV = "MINIVMM_GRADE_WARM"
# The mtime of every kit file in a tree started from the pristine build cache: older than
# any object of the cache, whose kit was the same bytes (grader/cache.py's key).
SETTLED = 946684800  # 2000-01-01


def kit_files(kit):
    """The files of a build tree's kit (repo-relative posix paths, sorted), as make_tree
    copies them: no build products, VCS data or Python caches, nor the hidden tests'."""
    kit = pathlib.Path(kit)
    out = []
    for folder, dirs, files in os.walk(kit):
        dirs[:] = [d for d in dirs if d not in SKIP_NAMES]
        rel = pathlib.Path(folder).relative_to(kit)
        out += [(rel / f).as_posix() for f in files if not f.endswith(".pyc")]
    return sorted(f for f in out if not is_hidden(f))


def settle(kit):
    """Give every kit file of a tree the same old mtime (SETTLED), so that make trusts
    build products that were made from the same bytes (a tree started from the cache)."""
    for rel in kit_files(kit):
        os.utime(pathlib.Path(kit, rel), (SETTLED, SETTLED), follow_symlinks=False)


@functools.lru_cache(maxsize=4)
def _first_commit(root):
    """The handout's first commit in a student repository, or None if git cannot say."""
    if not (pathlib.Path(root) / ".git").exists():
        return None
    r = subprocess.run(["git", "-C", str(root), "rev-list", "--max-parents=0", "HEAD"],
                       capture_output=True, text=True)
    return r.stdout.split()[0] if r.returncode == 0 and r.stdout.split() else None


def skeleton(f, root=ROOT, strict=False):
    """The skeleton of student file f (bytes). In the instructor's repository it is the
    file in minivmm/; in a student handout, where students edit minivmm/ itself, it is
    the file as the handout's first commit holds it. When git cannot say: the file as
    it is now, or None if strict (it may be the student's work)."""
    root = pathlib.Path(root)
    if (root / "solutions").is_dir():
        return (root / f).read_bytes()
    first = _first_commit(str(root))
    shown = subprocess.run(["git", "-C", str(root), "show", f"{first}:{f}"], capture_output=True) \
        if first else None
    if shown and shown.returncode == 0:
        return shown.stdout
    return None if strict else (root / f).read_bytes()


def _copy_build(build, kit, units):
    """Copy (never link: the tree's build must not be able to write into its source)
    the variants of a build/ folder into kit/build, mtimes kept; of its Check programs
    (build/skel/unit/<name>) only those named in units, if given."""
    def ignore(src, names):
        if units is None or pathlib.Path(src).name != "unit":
            return set()
        return {n for n in names if n not in units}
    for v in ("skel", "guest", "fixtures"):
        if pathlib.Path(build, v).is_dir():
            shutil.copytree(pathlib.Path(build, v), kit / "build" / v, ignore=ignore)


def seed(kit, build, student_files, settled=True, units=None):
    """Start kit/build from a copy of build (mtimes kept: make rebuilds what is out of
    date). A student file byte-identical to the copy that build compiled
    (build/skel/src/<file>) keeps its objects; any other has all its build products
    removed, so it is compiled afresh (and one that fails to compile leaves none).
    settled: build was made from this very kit (the cache), so every kit file gets the
    old mtime SETTLED; otherwise (MINIVMM_GRADE_WARM) the kit's own mtimes decide, and
    the guest is linked again from this kit's programs."""
    _copy_build(build, kit, units)
    if settled:
        settle(kit)
    else:
        (kit / "build/guest/tinykernel.elf").unlink(missing_ok=True)
    for f in student_files:
        copy = kit / "build/skel/src" / f
        if copy.is_file() and (kit / f).is_file() and copy.read_bytes() == (kit / f).read_bytes():
            if not settled:  # older than the copy that build compiled: make keeps its objects
                os.utime(kit / f, (copy.stat().st_mtime - 1,) * 2)
            continue
        for p in [copy, *kit.glob(f"build/skel/*/{f}.*")]:
            p.unlink(missing_ok=True)
        if (kit / f).is_file():
            os.utime(kit / f)  # newer than anything of the cache, whatever happens


def make_tree(overlay, root=ROOT, parent=None, hidden=False):
    """Copy the kit at root into a new temporary folder and lay overlay
    ({repo-relative path: source file}) over it. Returns the folder (nothing is
    left behind if the copy fails or is interrupted). hidden: with the hidden tests'
    files (the build cache's trusted tree only)."""
    dest = pathlib.Path(tempfile.mkdtemp(prefix="mvgrade-", dir=parent))
    try:
        shutil.copytree(root, dest / "kit", ignore=_ignore_for(root, hidden), symlinks=False)
        kit = dest / "kit"
        for rel, src in overlay.items():
            target = kit / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
    except BaseException:
        remove(dest)
        raise
    return kit


def remove(folder):
    """Remove a temporary folder, even when Ctrl-C comes in the middle (the grader
    ignores a second one while it cleans up): half a tree must not stay behind."""
    try:
        shutil.rmtree(folder, ignore_errors=True)
    except KeyboardInterrupt:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def remove_tree(kit):
    remove(pathlib.Path(kit).parent)


def reference_overlay(labs, root=ROOT):
    """The reference solution of every student file of these labs."""
    out = {}
    for lab in labs:
        for f in lab.student_files:
            src = pathlib.Path(root, "solutions", f)
            if not src.is_file():
                raise SubmissionError(f"the reference solution {src} is missing")
            out[f] = src
    return out


def _safe_extract(zpath, dest):
    try:
        with zipfile.ZipFile(zpath) as z:
            infos = z.infolist()
            if len(infos) > MAX_ZIP_ENTRIES or sum(i.file_size for i in infos) > MAX_ZIP_TOTAL:
                raise SubmissionError(f"{zpath} unpacks to more than {MAX_ZIP_ENTRIES} files "
                                      f"or {MAX_ZIP_TOTAL >> 20} MiB")
            for info in infos:
                name = pathlib.PurePosixPath(info.filename)
                if name.is_absolute() or ".." in name.parts:
                    raise SubmissionError(f"zip entry {info.filename!r} points outside the submission")
                if info.file_size > MAX_SUBMISSION_FILE * 16:
                    raise SubmissionError(f"zip entry {info.filename!r} is too large")
            z.extractall(dest)
    except zipfile.BadZipFile as e:
        raise SubmissionError(f"{zpath} is not a valid zip file: {e}") from None


def _git_clone(source, dest, local=False):
    """git clone --depth 1 of source into dest: '--' ends the options, so a source can
    never be read as one; no prompt, no ssh, no submodules."""
    allow = "always" if local else "never"
    r = proc.run(["git", "-c", f"protocol.file.allow={allow}", "-c", "protocol.ext.allow=never", "clone", "-q",
                  "--depth", "1", "--no-recurse-submodules", "--", source, str(dest)], 120,
                 env={"GIT_TERMINAL_PROMPT": "0", "GIT_SSH_COMMAND": "false"})
    if r.timed_out:
        raise SubmissionError(f"git clone {source} took more than 120 s")
    if r.status:
        raise SubmissionError(f"git clone {source} failed: {r.output.strip()[:500]}")


def open_submission(spec, workdir):
    """A submission given as a folder, a .zip, a git repository on this machine (its
    committed work, cloned) or an https git URL becomes a folder. Returns its path.
    A URL must be https: a file://, ssh or ext:: "URL" typed by a student would clone
    a repository of the grading machine (the instructor's, with its solutions) or use
    the grader's keys. Folders and repositories on this machine are the instructor's
    to give."""
    path = pathlib.Path(spec)
    if path.is_dir() and not (path / ".git").exists():
        return path
    dest = pathlib.Path(workdir) / "submission"
    if path.is_dir():
        _git_clone(str(path.resolve()), dest, local=True)
        return dest
    if path.is_file() and path.suffix == ".zip":
        dest.mkdir()
        _safe_extract(path, dest)
        return dest
    if spec.startswith("https://") and not any(c.isspace() or ord(c) < 32 for c in spec):
        _git_clone(spec, dest)
        return dest
    if "://" in spec or "::" in spec or spec.endswith(".git") or spec.startswith("git@"):
        raise SubmissionError(f"a git submission must be an https:// URL, not {spec!r}")
    raise SubmissionError(f"submission {spec!r} is not a folder, a .zip or an https git URL")


def _check_names(folder, files):
    """Refuse a file name with a control character: printed in a note, a newline in
    one could forge a line of the report (a fake "score:"). Shown escaped."""
    for p in files:
        rel = str(p.relative_to(folder))
        if any(ord(c) < 32 or ord(c) == 127 for c in rel):
            raise SubmissionError(f"submission file name {rel!r} has control characters")


@dataclasses.dataclass
class Intake:
    taken: dict          # repo path -> file in the submission
    missing: list        # allowed student files the submission does not have
    ignored: list        # submission files that are not allowed student files


def _files(folder):
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and ".git" not in p.relative_to(folder).parts)


def take_student_files(folder, allowed):
    """Pick the allowed student files out of a submission folder: at their repo
    path, or (for an upload of loose files) by a unique file name."""
    folder = pathlib.Path(folder)
    real = folder.resolve()
    files = _files(folder)
    _check_names(folder, files)
    by_name = {}
    for p in files:
        by_name.setdefault(p.name, []).append(p)
    taken, missing = {}, []
    for rel in allowed:
        exact = folder / rel
        candidates = [exact] if exact.is_file() else by_name.get(pathlib.Path(rel).name, [])
        # a symlink may point out of the submission (at the reference solution, say): refuse it
        if (len(candidates) == 1 and candidates[0].resolve().is_relative_to(real)
                and candidates[0].stat().st_size <= MAX_SUBMISSION_FILE):
            taken[rel] = candidates[0]
        else:
            missing.append(rel)
    used = set(taken.values())
    ignored = [str(p.relative_to(folder)) for p in files if p not in used]
    return Intake(taken, missing, ignored)


# An #include (or #include_next, #import) of an absolute path or of one with a '..' in it,
# and the assembler's .incbin (which pulls in any file without the compiler listing it).
_INCLUDE = re.compile(r'^[ \t]*#[ \t]*(?:include|include_next|import)[ \t]*[<"]([^>"\n]*)[>"]', re.M)
_INCBIN = re.compile(r"\.incbin\b")


def bad_includes(kit, student_files):
    """Student files that name a file they may not read, in their source: an absolute
    include, one with '..', or an .incbin. Refused outright, whatever the compiler's
    dependency list says (a header may hide itself from it). Returns "file: why" lines."""
    found = []
    for f in student_files:
        path = pathlib.Path(kit) / f
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        for name in _INCLUDE.findall(text):
            if name.startswith("/") or ".." in pathlib.PurePosixPath(name).parts:
                found.append(f"{f}: includes '{name}': absolute and '..' includes are refused")
        if _INCBIN.search(text):
            found.append(f"{f}: uses .incbin: a student file may not embed other files")
    return found


def foreign_includes(kit, student_files, variant="skel"):
    """Files outside minivmm/ that the compiled student files read (from the
    compiler's dependency files): a submission may use the kit's headers and the
    system's, nothing else. Returns "student file: foreign file" lines."""
    kit = pathlib.Path(kit).resolve()
    allowed = [kit / "minivmm", kit / "build" / variant / "src"]
    found = []
    for f in student_files:
        for dep in kit.glob(f"build/{variant}/*/{f}.d"):
            words = dep.read_text().replace("\\\n", " ").split()
            for w in words[1:]:
                if w.endswith(":"):
                    break
                p = (kit / w).resolve() if not w.startswith("/") else pathlib.Path(w).resolve()
                if p.is_relative_to(kit) and not any(p.is_relative_to(a) for a in allowed):
                    found.append(f"{f}: {w}")
                elif not p.is_relative_to(kit) and not p.is_relative_to("/usr"):
                    found.append(f"{f}: {w}")
    return sorted(set(found))
