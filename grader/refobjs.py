"""Catch-up mode's earlier labs: their reference solutions compiled once, in a trusted tree of their own, and laid into grading trees as objects, never as source.

A grading tree holds student code, which may print any file it can read into the output
the student sees; so the reference's source never enters one. Before catch-up grading,
build() compiles the earlier labs' reference files (both objects of each: the ARM one of
minivmm and the host one of the Check programs) in a tree that holds no student code,
started from the pristine build cache like any other, and keeps only those objects and
their dependency files. lay() then copies them into a grading tree whose copies of those
files are their skeletons, newer than everything there, so that make links them in place
of the skeletons' objects instead of compiling anything (the skeleton's source copy in
build/skel/src stays older than the object, and the .d lists the same kit headers).
"""
import os
import pathlib
import shutil
import tempfile
import time

from . import cache, manifest, runner, tree

ROOT = manifest.ROOT
PARTS = ("vmm", "host")   # build/skel/<part>/<file>.o: minivmm's object, the Check programs'
TIMEOUT = 300


class ReferenceError(Exception):
    """The reference objects cannot be made (the instructor's kit or reference is broken)."""


def targets(files):
    """The make targets of the objects of files."""
    return [f"build/skel/{part}/{f}.o" for f in files for part in PARTS]


def products(build_root, f):
    """The objects and dependency files of student file f under build_root/build/skel."""
    return [pathlib.Path(build_root, "build/skel", part, f"{f}{ext}") for part in PARTS for ext in (".o", ".d")]


def build(sources, arch, jobs, all_files, root=ROOT):
    """Compile sources ({student file: its reference source}) for arch. all_files: every
    student file of the track (the build cache's key). Returns a new temporary folder (the
    caller removes it) holding build/skel/<part>/<file>.o and .d for each file; raises
    ReferenceError if one does not compile."""
    kit = tree.make_tree(sources, root=root)
    try:
        cache.start(kit, arch, all_files, jobs, units=[], root=root)
        ok, log = runner.build_trusted(kit, jobs, targets(sources), arch, TIMEOUT)
        missing = [p for f in sources for p in products(kit, f) if not p.is_file()]
        if not ok or missing:
            raise ReferenceError("catch-up mode: the reference of the earlier labs does not compile:\n"
                                 + runner._tail(log, 15))
        held = pathlib.Path(tempfile.mkdtemp(prefix="mvref-"))
        for f in sources:
            for src, dest in zip(products(kit, f), products(held, f)):
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest)
        return held
    finally:
        tree.remove_tree(kit)


def lay(kit, held, files):
    """Copy the held objects of files into kit's build/skel, with the time of now: newer than
    the skeletons' objects and source copies they replace and than what links them."""
    now = time.time()
    for f in files:
        for src, dest in zip(products(held, f), products(kit, f)):
            if not src.is_file():
                raise ReferenceError(f"catch-up mode: no reference object of {f} was made")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
            os.utime(dest, (now, now))
