"""`make handout DEST=<dir>`: writes the student repository, then proves it builds and grades as "not done"."""
import argparse
import hashlib
import pathlib
import shutil
import subprocess
import sys
import tempfile

from . import proc
from .manifest import ROOT

# Instructor-only material: never in the student repository.
EXCLUDED = ["solutions", "docs/instructor", "guests/tinykernel/programs/hidden", ".ci", "build",
            "grader/tests/fixtures"]
EXCLUDED_GLOBS = ["labs/*/hidden.toml"]


def _ignore(src, names):
    rel = pathlib.Path(src).resolve().relative_to(ROOT)
    drop = {n for n in names if (rel / n).as_posix() in EXCLUDED}
    drop |= {n for n in names if n in (".git", "__pycache__", "_build") or n.endswith(".pyc")}
    drop |= {n for n in names for g in EXCLUDED_GLOBS if (rel / n).match(g)}
    return drop


def write(dest):
    dest = pathlib.Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise SystemExit(f"handout: {dest} exists and is not empty; choose a new DEST")
    shutil.copytree(ROOT, dest, ignore=_ignore, dirs_exist_ok=True)
    if shutil.which("git"):
        git = ["git", "-C", str(dest), "-c", "user.name=minivmm", "-c", "user.email=minivmm@localhost"]
        subprocess.run(git[:3] + ["init", "-q"], check=True)
        subprocess.run(git + ["add", "-A"], check=True)
        subprocess.run(git + ["commit", "-qm", "minivmm student handout"], check=True)
    return dest


def _digests(folder):
    return {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in pathlib.Path(folder).rglob("*")
            if p.is_file()}


def leaks(dest):
    """Files of the handout that are (byte for byte) a reference solution or hidden test."""
    secret = {}
    for pattern in ["solutions/**/*", "labs/*/hidden.toml", "guests/tinykernel/programs/hidden/*"]:
        for p in ROOT.glob(pattern):
            if p.is_file():
                secret[hashlib.sha256(p.read_bytes()).hexdigest()] = p
    found = _digests(dest)
    return [f"{found[h].relative_to(dest)} (= {secret[h].relative_to(ROOT)})" for h in secret if h in found]


def check():
    """Write a handout to a temporary folder, then prove it: no secrets, `make` builds,
    `make grade` runs and reports the labs as not done."""
    with tempfile.TemporaryDirectory(prefix="mvhandout-") as tmp:
        dest = write(pathlib.Path(tmp) / "handout")
        problems = [f"contains instructor material: {x}" for x in leaks(dest)]
        problems += [f"contains {x}" for x in EXCLUDED if (dest / x).exists() and x != "build"]
        b = proc.run(["make", "-C", str(dest), "-j2", "all"], 600)
        if b.status != 0:
            problems.append("make fails in the handout:\n" + b.output[-3000:])
        g = proc.run(["make", "-C", str(dest), "grade"], 900)
        if g.status == 0:
            problems.append("make grade gives full marks on the skeleton:\n" + g.output[-3000:])
        elif "score: 0/" not in g.output:
            problems.append("make grade did not report a zero score:\n" + g.output[-3000:])
        for p in problems:
            print(f"handout-check: {p}")
        if problems:
            return 1
        score = [l for l in g.output.splitlines() if l.startswith("score:")]
        print(f"handout-check: ok (no solutions or hidden tests; builds; make grade: {score[-1]})")
        return 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m grader.handout")
    ap.add_argument("dest", nargs="?", help="where to write the student repository")
    ap.add_argument("--check", action="store_true", help="write to a temporary folder and prove it")
    a = ap.parse_args(argv)
    if a.check:
        return check()
    if not a.dest:
        ap.error("give DEST (make handout DEST=<dir>) or --check")
    dest = write(a.dest)
    print(f"handout: wrote the student repository to {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
