"""Build trees: a pristine copy of the kit with chosen student files laid over it, and submission intake."""
import dataclasses
import os
import pathlib
import shutil
import tempfile
import zipfile

from . import proc
from .manifest import ROOT

# Never copied into a build tree: build products, VCS data, caches, and every
# working answer (the reference, the grader's fixtures), which a submission
# could otherwise #include.
SKIP_NAMES = {"build", ".git", "__pycache__", "_build"}
SKIP_PATHS = {"solutions", "grader/tests/fixtures"}
MAX_SUBMISSION_FILE = 1 << 20  # a student file is source code: 1 MiB is plenty
MAX_ZIP_TOTAL = 64 << 20
MAX_ZIP_ENTRIES = 10000


def _ignore_for(root):
    root = pathlib.Path(root).resolve()

    def ignore(src, names):
        rel = pathlib.Path(src).resolve().relative_to(root)
        return {n for n in names
                if n in SKIP_NAMES or n.endswith(".pyc") or (rel / n).as_posix() in SKIP_PATHS}
    return ignore


class SubmissionError(Exception):
    """A submission that cannot be read at all (missing, a broken zip, a clone that failed)."""


# For grader/samples.py only: a build/ folder whose skeleton build starts each grading
# tree warm, so that the handouts' `make grade` samples cost seconds, not a whole build
# each. Grading itself never sets it.
WARM_ENV = "MINIVMM_GRADE_WARM"


def _warm(kit, student_files):
    """Seed kit/build from $MINIVMM_GRADE_WARM (mtimes kept: make rebuilds what differs).
    A student file identical to the one that build compiled keeps its objects; any other
    has all its build products removed (a file that fails to compile must leave none)."""
    build = os.environ.get(WARM_ENV)
    if not build:
        return
    for v in ("skel", "guest", "fixtures"):
        if pathlib.Path(build, v).is_dir():
            shutil.copytree(pathlib.Path(build, v), kit / "build" / v, symlinks=True)
    (kit / "build/guest/tinykernel.elf").unlink(missing_ok=True)  # linked again from this kit's programs
    for f in student_files:
        copy = kit / "build/skel/src" / f
        if copy.is_file() and copy.read_bytes() == (kit / f).read_bytes():
            os.utime(kit / f, (copy.stat().st_mtime - 1,) * 2)
            continue
        for p in [copy, *kit.glob(f"build/skel/*/{f}.*")]:
            p.unlink(missing_ok=True)


def make_tree(overlay, root=ROOT, parent=None):
    """Copy the kit at root into a new temporary folder and lay overlay
    ({repo-relative path: source file}) over it. Returns the folder."""
    dest = pathlib.Path(tempfile.mkdtemp(prefix="mvgrade-", dir=parent))
    shutil.copytree(root, dest / "kit", ignore=_ignore_for(root), symlinks=False)
    kit = dest / "kit"
    for rel, src in overlay.items():
        target = kit / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
    _warm(kit, overlay)
    return kit


def remove_tree(kit):
    shutil.rmtree(pathlib.Path(kit).parent, ignore_errors=True)


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


def open_submission(spec, workdir):
    """A submission given as a folder, a .zip, or a git repository (path or URL)
    becomes a folder. Returns its path."""
    path = pathlib.Path(spec)
    if path.is_dir() and not (path / ".git").exists():
        return path
    dest = pathlib.Path(workdir) / "submission"
    if path.is_file() and path.suffix == ".zip":
        dest.mkdir()
        _safe_extract(path, dest)
        return dest
    if path.is_dir() or spec.endswith(".git") or "://" in spec or spec.startswith("git@"):
        r = proc.run(["git", "clone", "-q", "--depth", "1", spec, str(dest)], 120,
                     env={"GIT_TERMINAL_PROMPT": "0", "GIT_SSH_COMMAND": "ssh -o BatchMode=yes"})
        if r.timed_out:
            raise SubmissionError(f"git clone {spec} took more than 120 s")
        if r.status:
            raise SubmissionError(f"git clone {spec} failed: {r.output.strip()}")
        return dest
    raise SubmissionError(f"submission {spec} is not a folder, a .zip or a git repository")


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
