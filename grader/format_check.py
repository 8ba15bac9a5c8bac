"""`make format-check` and `make format`: the C files under minivmm/, solutions/ and guests/ against .clang-format.

The style is .clang-format at the top of the repository (and the few lines that
minivmm/include/, minivmm/arch/arm/include/ and guests/ add in their own), written
for clang-format 14, Debian 12's. The files are the tracked *.c and *.h under those
folders (`git ls-files`), or every such file when the tree is not a git checkout.
Exit status: 0 all formatted (or, with --fix, reformatted), 1 some are not,
2 clang-format is missing or failed on a file."""
import argparse
import concurrent.futures
import os
import pathlib
import re
import shutil
import subprocess
import sys

from .manifest import ROOT

FOLDERS = ("minivmm", "solutions", "guests")
SUFFIXES = (".c", ".h")
STYLE_VERSION = 14   # the clang-format whose output .clang-format was tuned against
TIMEOUT = 60         # seconds for one file


def clang_format():
    """The clang-format to run: $CLANG_FORMAT (e.g. clang-format-14) or clang-format on the PATH."""
    return shutil.which(os.environ.get("CLANG_FORMAT") or "clang-format")


def version(exe):
    """clang-format's major version, or None if it does not say."""
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=TIMEOUT).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"version (\d+)\.", out)
    return int(m.group(1)) if m else None


def _in_git(root):
    """True if root is the top of a git checkout (not merely inside another one)."""
    if not shutil.which("git"):
        return False
    r = subprocess.run(["git", "-C", str(root), "rev-parse", "--show-toplevel"], capture_output=True,
                       text=True)
    return r.returncode == 0 and pathlib.Path(r.stdout.strip()).resolve() == pathlib.Path(root).resolve()


def files(root=ROOT):
    """The C files to check, relative to root, sorted: tracked ones in a git checkout, else all."""
    root = pathlib.Path(root)
    if _in_git(root):
        out = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--", *FOLDERS],
                             capture_output=True, check=True).stdout
        found = [p for p in out.decode().split("\0") if p.endswith(SUFFIXES)]
    else:
        found = []
        for folder in FOLDERS:
            for dirpath, dirnames, filenames in os.walk(root / folder):
                dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "__pycache__"]
                rel = pathlib.Path(dirpath).relative_to(root)
                found += [(rel / f).as_posix() for f in filenames if f.endswith(SUFFIXES)]
    return sorted(p for p in found if (root / p).is_file())


def formatted(exe, root, rel):
    """(the file as clang-format writes it, None) or (None, clang-format's complaint)."""
    try:
        r = subprocess.run([exe, "--style=file", rel], cwd=root, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, f"clang-format took more than {TIMEOUT} s"
    if r.returncode != 0:
        return None, r.stderr.decode(errors="replace").strip() or f"clang-format exited with {r.returncode}"
    return r.stdout, None


def first_difference(old, new):
    """(line number, line as it is, line as clang-format writes it) of the first line that differs."""
    a, b = old.decode(errors="replace").splitlines(), new.decode(errors="replace").splitlines()
    for i in range(max(len(a), len(b))):
        have = a[i] if i < len(a) else "<end of file>"
        want = b[i] if i < len(b) else "<end of file>"
        if have != want:
            return i + 1, have, want
    return len(a), "", ""  # only the line endings differ


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m grader.format_check",
                                 description="Check (or, with --fix, apply) the C style of .clang-format.")
    ap.add_argument("--fix", action="store_true", help="rewrite the files that are not formatted")
    ap.add_argument("--root", default=str(ROOT), help="the tree to check (default: this repository)")
    a = ap.parse_args(argv)
    tag = "format" if a.fix else "format-check"
    root = pathlib.Path(a.root).resolve()
    if not root.is_dir():
        print(f"{tag}: {root} is not a folder")
        return 2
    if not (root / ".clang-format").is_file():
        print(f"{tag}: no .clang-format in {root}: there is no style to check against")
        return 2
    exe = clang_format()
    if not exe:
        print(f"{tag}: clang-format is not installed (Debian: apt-get install clang-format; "
              f"make deps installs it)")
        return 2
    names = files(root)
    if not names:
        print(f"{tag}: no C files under {', '.join(f + '/' for f in FOLDERS)} in {root}")
        return 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = list(pool.map(lambda rel: formatted(exe, root, rel), names))
    failed, wrong = [], []
    for rel, (new, problem) in zip(names, results):
        if problem:
            failed.append(rel)
            print(f"{tag}: {rel}: clang-format failed: {problem}")
            continue
        old = (root / rel).read_bytes()
        if old == new:
            continue
        wrong.append(rel)
        if a.fix:
            (root / rel).write_bytes(new)
            print(f"{tag}: reformatted {rel}")
        else:
            line, have, want = first_difference(old, new)
            print(f"{tag}: {rel}:{line}: not formatted as .clang-format says: run 'make format' to fix\n"
                  f"    is:        {have}\n"
                  f"    should be: {want}")
    if failed:
        print(f"{tag}: clang-format failed on {len(failed)} of {len(names)} files")
        return 2
    if a.fix:
        print(f"{tag}: {len(wrong)} of {len(names)} files reformatted")
        return 0
    if wrong:
        major = version(exe)
        note = (f" (this is clang-format {major}; the style is set for clang-format {STYLE_VERSION}, "
                f"whose output may differ)" if major and major != STYLE_VERSION else "")
        print(f"{tag}: {len(wrong)} of {len(names)} files are not formatted{note}: run 'make format' to fix")
        return 1
    print(f"{tag}: all {len(names)} C files formatted as .clang-format says")
    return 0


if __name__ == "__main__":
    sys.exit(main())
