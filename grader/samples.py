"""Samples that cannot go stale: re-runs the command behind every transcript the handouts and docs show as real output, and compares.

Every literal block that a handout (labs/*/README.rst) or a doc page (docs/**/*.rst)
presents as real output follows an RST comment, its *marker*, that says how to make it:

    .. sample: make run VMM_OPTS=trace=exits RUN_ARGS=run=hello

    A real run prints::

        minivmm: ...

The marker applies to the next literal block (the next paragraph ending in "::").
Its text, and each further line of the comment, is a command of one bash script run at
the top of a temporary copy of the kit; a command written `$ <command>` is shown in the
output after a `$ ` prompt, as transcripts show it. `.. sample(<setup>): ...` names the
copy (default `student`):

    student      the student repository as `make handout` writes it, every lab the skeleton
    labsA-B      the same with labs A to B done (their reference files laid over minivmm/);
                 labsA for lab A alone
    instructor   the instructor's repository (solutions/, hidden tests)
    <name>       an entry of SETUPS below: one of those with a bug put in (a pitfall's
                 real run), a run timeout of 2 s instead of 60, or a shim on PATH

Each copy is built before its samples run, starting from this repository's build/
(mtimes kept, so only what differs is compiled), and `make grade` in it starts its
grading tree from the copy's build (grader/tree.py, MINIVMM_GRADE_WARM). Copies are
made, and samples run, in parallel; the samples of one copy take turns, except those
that only grade.

The command `gdb [VAR=value ...]` stands for `make qemu-gdb [VARS]` in one terminal and
`make gdb [VARS]` in another: the checker types the sample's own `+` lines (GDB's
`set trace-commands on` echo) into GDB and compares what it prints from the first one.

Comparison is line by line after `normalise` (addresses in minivmm's and the guest's
code and data, offsets from symbols, line numbers of the Makefile and of source files,
times and durations, nonces and proofs, temporary folders, quote characters, runs of
spaces). A line `...` stands for any lines (none included), `...` inside a line for any
text; blank lines do not count, nor the compiler's CC/LD lines unless the sample shows
some, nor the order of the grader's progress lines. On a mismatch the checker prints a
unified diff between the sample and the real output and fails. `--update` writes the
real output into the block instead, keeping the sample's own lines where they match and
its `...` where they stand; `--update --fresh` writes the real lines even where they
match (to bring addresses up to date).
"""
import argparse
import concurrent.futures
import dataclasses
import difflib
import os
import pathlib
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

from . import handout, manifest, proc, qemu

ROOT = manifest.ROOT
SAMPLE_TIMEOUT = 180          # seconds for the commands of one sample
MARKER = re.compile(r"^(?P<indent>\s*)\.\. sample(?:\((?P<setup>[^)]*)\))?:\s*(?P<cmd>.*\S)\s*$")
VERBATIM = re.compile(r"\s*\.\. (code-block|code|sourcecode|parsed-literal|graphviz|digraph|graph|raw|math)::")
LIST_ITEM = re.compile(r"\s*(\d+\.|[*-]) +")
# A lead-in that says its block is real output must have a marker.
CLAIMS_REAL = re.compile(r"\breal (run|output|session|transcript)|\bquoted from real runs|"
                         r"\byou should see\b", re.I)
ILLUSTRATIVE = re.compile(r"\billustrat|\bnot (a )?real\b", re.I)
# Variables of the caller that must not reach the commands (an outer `make test` passes
# MAKEFLAGS and MAKELEVEL; SOLUTIONS=1 in the environment would change every build).
UNSET = ["MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "SOLUTIONS", "SUBMISSION", "LAB",
         "VMM_OPTS", "RUN_ARGS", "GUEST", "ARCH", "JSON", "JUNIT", "CATCHUP", "QEMU", "CK_RUN_CASE",
         "CK_FORK", "MV_UNIT_ECHO"]


# ---- Setups: the copies of the kit that commands run in.

@dataclasses.dataclass(frozen=True)
class Setup:
    what: str                   # one line, for --list and for the guide
    student: bool = True        # a student repository (no solutions/, hidden tests, instructor docs)
    done: tuple = ()            # labs whose reference files are laid over minivmm/
    edits: tuple = ()           # (path, old text, new text): a bug put in on purpose
    shims: tuple = ()           # (program, shell script): a program the commands find first on PATH
    prebuild: bool = True       # build the copy before its samples run (not if it cannot build)


RUN_TIMEOUT_2S = ("Makefile", "--timeout 60", "--timeout 2")   # a run that can only time out: 2 s, not 60

SETUPS = {
    "student": Setup("the student repository (make handout), every lab the skeleton"),
    "instructor": Setup("the instructor's repository", student=False),
    # Lab 1's pitfalls
    "wfi-no-advance": Setup(
        "labs 0 and 1 done, but handle_wfx does not step the PC (make run times out after 2 s)",
        done=(0, 1), edits=(("minivmm/arch/arm/wfx.c", "    arm_advance_pc(&v->arch.regs, hsr);",
                             "    (void)v, (void)hsr;"),
                            RUN_TIMEOUT_2S)),
    "reset-in-psci": Setup(
        "labs 0 and 1 done, but psci.c reboots the guest itself (vm_boot) on SYSTEM_RESET",
        done=(0, 1), edits=(("minivmm/arch/arm/psci.c", "    vm_request_reset(v->vm);",
                             "    char err[80];\n    vm_boot(v->vm, err, sizeof(err));"),)),
    "itstate-forgotten": Setup(
        "lab 1 done, but arm_advance_pc leaves ITSTATE as it was",
        done=(1,), edits=(("minivmm/arch/arm/pc.c", "    if ((r->cpsr & PSR_T) && it)",
                             "    if (0 && (r->cpsr & PSR_T) && it)"),)),
    # Each lab's flag turned on too early, on the skeleton
    "lab2-flag-early": Setup(
        "labs 0 and 1 done, lab 2 the skeleton with its flag on",
        done=(0, 1), edits=(("minivmm/arch/arm/s2_hw.c", "lab2_stage2_enabled = false",
                             "lab2_stage2_enabled = true"),)),
    "lab3-flag-early": Setup(
        "labs 0 to 2 done, lab 3 the skeleton with its flag on",
        done=(0, 1, 2), edits=(("minivmm/arch/arm/mmio_emul.c", "lab3_mmio_enabled = false",
                                "lab3_mmio_enabled = true"),)),
    "lab4-flag-early": Setup(
        "labs 0 to 3 done, lab 4 the skeleton with its flag on",
        done=(0, 1, 2, 3), edits=(("minivmm/arch/arm/vgic_dist.c", "lab4_vgic_enabled = false",
                                   "lab4_vgic_enabled = true"),)),
    # Lab 2's pitfalls
    "af-clear": Setup(
        "labs 0 to 2 done, but stage2.c leaves AF clear in every descriptor (make run times out after 2 s)",
        done=(0, 1, 2), edits=(("minivmm/arch/arm/stage2.c", "uint64_t d = S2_AF | ", "uint64_t d = "),
                               RUN_TIMEOUT_2S)),
    "hcr-overwrite": Setup(
        "labs 0 to 2 done, but s2_hw.c writes HCR_VM over HCR (make run times out after 2 s)",
        done=(0, 1, 2), edits=(("minivmm/arch/arm/s2_hw.c", "write_hcr(read_hcr() | HCR_VM)", "write_hcr(HCR_VM)"),
                               RUN_TIMEOUT_2S)),
    "t0sz-1gib": Setup(
        "labs 0 to 2 done, but VTCR.T0SZ = 2, a 1 GiB IPA space (make run times out after 2 s)",
        done=(0, 1, 2), edits=(("minivmm/arch/arm/s2_hw.c", "VTCR_T0SZ(0)", "VTCR_T0SZ(2)"), RUN_TIMEOUT_2S)),
    # Others
    "missing-semicolon": Setup(
        "lab 0 done, but a ';' missing in minivmm/core/exitcount.c (the copy is not built first)",
        done=(0,), edits=(("minivmm/core/exitcount.c", "stats_exit_count(&v->stats, ec);",
                           "stats_exit_count(&v->stats, ec)"),), prebuild=False),
    "autograder-dry": Setup(
        "the instructor's repository, with a python3 that does not run the grader itself "
        "(for what run_autograder prints before the grader's report)",
        student=False, shims=(("python3", '[ "$1 $2" = "-m grader" ] && exit 1; PATH=${PATH#*:} exec python3 "$@"'),)),
    "not-root": Setup("the student repository, for a user who is not root (make deps only prints)",
                      shims=(("id", '[ "$1" = -u ] && echo 1000 || exec /usr/bin/id "$@"'),)),
}


def setup_named(name):
    """The Setup called name: a SETUPS entry, or labsA / labsA-B."""
    name = (name or "student").strip()
    if name in SETUPS:
        return SETUPS[name]
    m = re.fullmatch(r"labs(\d+)(?:-(\d+))?", name)
    if m:
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        done = tuple(range(first, last + 1))
        return Setup(f"the student repository with labs {first}-{last} done", done=done)
    raise ValueError(f"unknown sample setup {name!r}: use student, instructor, labsA-B or one of "
                     f"{', '.join(SETUPS)}")


# ---- Finding samples in the .rst files.

@dataclasses.dataclass
class Sample:
    path: pathlib.Path
    line: int                   # 1-based line of the marker
    setup: str
    commands: list
    marker: list                # the marker's own lines, as in the file
    start: int                  # 0-based index of the block's first line
    end: int                    # 0-based index after its last line
    indent: str
    lines: list                 # the block, dedented, trailing blank lines dropped

    @property
    def where(self):
        return f"{rel(self.path)}:{self.line}"

    @property
    def title(self):
        cmd = self.commands[0] + (" ..." if len(self.commands) > 1 else "")
        setup = "" if self.setup == "student" else f"[{self.setup}] "
        return f"{self.where} ({setup}{cmd if len(cmd) <= 72 else cmd[:69] + '...'})"


def rel(path):
    try:
        return pathlib.Path(path).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def _indent(line):
    return len(line) - len(line.lstrip())


def _literal_block(lines, i):
    """For a paragraph line i that ends in '::', the block after it: (start, end, lines, indent).
    The block is the lines indented more than the paragraph's text (a list item's text
    starts after its bullet or number)."""
    j = i
    while j > 0 and lines[j - 1].strip() and not LIST_ITEM.match(lines[j]):
        j -= 1
    item = LIST_ITEM.match(lines[j])
    base = item.end() if item else _indent(lines[j])
    k = i + 1
    while k < len(lines) and not lines[k].strip():
        k += 1
    start = k
    if start >= len(lines) or _indent(lines[start]) <= min(base, _indent(lines[i])):
        return None
    while k < len(lines) and (not lines[k].strip() or _indent(lines[k]) > min(base, _indent(lines[i]))):
        k += 1
    end = k
    while end > start and not lines[end - 1].strip():
        end -= 1
    width = min(_indent(l) for l in lines[start:end] if l.strip())
    return start, end, [l[width:].rstrip() for l in lines[start:end]], " " * width


def _lead_in(lines, i):
    """The paragraph that ends at line i (a list item's own, if it is one)."""
    j = i
    while j > 0 and lines[j - 1].strip() and not LIST_ITEM.match(lines[j]):
        j -= 1
    return " ".join(l.strip() for l in lines[j:i + 1])


def parse(path, text=None):
    """(samples, problems) of one .rst file: every marker with its block, and every block
    whose lead-in claims real output but has no marker."""
    text = path.read_text() if text is None else text
    lines = text.splitlines()
    samples, problems, pending = [], [], None
    i = 0
    while i < len(lines):
        d = VERBATIM.match(lines[i])
        if d:  # a code block or a diagram: its text is not the document's (an example marker, say)
            i += 1
            while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > _indent(d.group(0))):
                i += 1
            continue
        m = MARKER.match(lines[i])
        if m:
            if pending:
                problems.append(f"{rel(path)}:{pending[0] + 1}: sample marker without a literal block "
                                "before the next marker")
            cmds, k = [m.group("cmd")], i + 1
            while k < len(lines) and lines[k].strip() and _indent(lines[k]) > _indent(lines[i]):
                cmds.append(lines[k].strip())
                k += 1
            pending = (i, m.group("setup"), cmds, lines[i:k])
            i = k
            continue
        s = lines[i].rstrip()
        if s.endswith("::") and not s.lstrip().startswith(".. "):
            block = _literal_block(lines, i)
            if block:
                start, end, body, indent = block
                if pending:
                    at, setup, cmds, marker = pending
                    samples.append(Sample(path, at + 1, setup or "student", cmds, marker, start, end,
                                          indent, body))
                    pending = None
                elif CLAIMS_REAL.search(_lead_in(lines, i)) and not ILLUSTRATIVE.search(_lead_in(lines, i)):
                    problems.append(f"{rel(path)}:{i + 1}: the lead-in says this is real output, but the "
                                    f"block has no '.. sample:' marker (or call it illustrative)")
                i = end
                continue
        i += 1
    if pending:
        problems.append(f"{rel(path)}:{pending[0] + 1}: sample marker without a literal block after it")
    return samples, problems


def rst_files(root=ROOT):
    return sorted(list((root / "labs").glob("*/README.rst")) + list((root / "docs").rglob("*.rst")))


# ---- Normalising and comparing.

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_KIT_DIRS = "minivmm|solutions|build|labs|guests|grader|docs"
_RULES = [
    # a grading tree or a copy of the kit, wherever it is: <kit>
    (re.compile(r"(?:/[\w.+-]+)*/(?:mvgrade|mvsamples|mvhandout|mvsub)-[\w]+(?:/[\w.+-]+)*?/kit\b"), "<kit>"),
    (re.compile(r"(?<![\w.>])(?:/[\w.+-]+)+?(?=/(?:" + _KIT_DIRS + r")/)"), "<kit>"),
    # line numbers: of the Makefile, of source files, in GCC's and GDB's listings
    (re.compile(r"\bMakefile:\d+"), "Makefile:<line>"),
    (re.compile(r"(\.(?:c|h|S|s|py|ld|toml|mk)):\d+"), r"\1:<line>"),
    (re.compile(r"\bline \d+\b"), "line <line>"),
    (re.compile(r"^\s*\d+(\t| \| )"), r"<line>\1"),
    # code and data addresses of minivmm (0x50000000...) and of the guest (0x40000000...),
    # and offsets from a symbol: they move whenever the code does
    (re.compile(r"\b(0x)?([45][0-9a-fA-F]{7})\b"), lambda m: m.group(0) if int(m.group(2), 16) & 0xffff == 0
     else (m.group(1) or "") + "<addr>"),
    (re.compile(r"<([\w.$@]+)\+(?:0x[0-9a-fA-F]+|\d+)>"), r"<\1+<off>>"),
    # times and durations
    (re.compile(r"\b\d+\.\d+ ?s\b"), "<t>s"),
    (re.compile(r"\b\d+ s\b"), "<n> s"),
    # the grader's per-run nonce and the proofs bound to it
    (re.compile(r"\bnonce=[0-9a-f]+"), "nonce=<nonce>"),
    (re.compile(r"\b(MVTEST \S+ PASS) [0-9a-f]{8,64}\b"), r"\1 <proof>"),
    # the order of the grader's progress lines is the order the tests finished in
    (re.compile(r"^\s*\[\d+/(\d+)\]"), r"[<k>/\1]"),
]
MAKEFILE_LINE = re.compile(r"\bMakefile:\d+")
BUILD_LINE = re.compile(r"^\s*(CC|AS|LD|HOSTCC|LINK|CPIO|DTS)\s+\S+\s*$")
PROGRESS = re.compile(r"^\[<k>/\d+\] ")
ELLIPSIS = "..."
SLACK = 20


def normalise(line, roots=()):
    """A line as compared: what legitimately varies between runs and builds replaced by a
    placeholder, quotes made plain, runs of white space made one space."""
    for r in roots:
        line = line.replace(str(r), "<kit>")
    line = line.translate(_QUOTES)
    for pattern, repl in _RULES:
        line = pattern.sub(repl, line)
    return " ".join(line.split())


def _prepare(lines, roots=(), keep_build=True):
    """[(normalised, [raw lines])] of the lines that count: blank lines (and the compiler's
    lines, unless kept) go with the line after them, runs of grader progress lines are
    sorted."""
    out, held = [], []
    for l in lines:
        if not keep_build and BUILD_LINE.match(l):
            continue
        if not l.strip():
            held.append(l)
        else:
            out.append((normalise(l, roots), held + [l]))
            held = []
    i = 0
    while i < len(out):
        j = i
        while j < len(out) and PROGRESS.match(out[j][0]):
            j += 1
        if j > i:
            out[i:j] = sorted(out[i:j])
            i = j
        else:
            i += 1
    return out


def _line_matches(pattern, text):
    if ELLIPSIS not in pattern:
        return pattern == text
    parts = [re.escape(p) for p in pattern.split(ELLIPSIS)]
    return re.fullmatch(".*".join(parts), text) is not None


def _segments(sample):
    """The sample split at its `...` lines: [[(norm, raw)...], ...]."""
    segs = [[]]
    for item in sample:
        if item[0] == ELLIPSIS:
            segs.append([])
        else:
            segs[-1].append(item)
    return segs


def _seg_at(seg, actual, pos):
    return pos + len(seg) <= len(actual) and all(
        _line_matches(s[0], actual[pos + k][0]) for k, s in enumerate(seg))


def matches(sample, actual):
    """Whether the prepared sample matches the prepared actual output."""
    segs = _segments(sample)
    if len(segs) == 1:
        return len(segs[0]) == len(actual) and _seg_at(segs[0], actual, 0)
    first, *middle, last = segs
    if not _seg_at(first, actual, 0):
        return False
    pos = len(first)
    for seg in middle:
        while pos <= len(actual) and not _seg_at(seg, actual, pos):
            pos += 1
        if pos > len(actual):
            return False
        pos += len(seg)
    tail = len(actual) - len(last)
    return tail >= pos and _seg_at(last, actual, tail)


def _render_run(seg, window, fresh=False):
    """The sample's lines of seg against the real lines window: the sample's where they
    match (unless fresh), the real ones (with the blank lines before them) elsewhere."""
    sm = difflib.SequenceMatcher(None, [s[0] for s in seg], [w[0] for w in window], autojunk=False)
    out = []
    for op, a0, a1, b0, b1 in sm.get_opcodes():
        if op == "equal" and not fresh:
            out += [l for item in seg[a0:a1] for l in item[1]]
        else:  # the Makefile's line numbers change with every edit of it: written as <line>
            out += [MAKEFILE_LINE.sub("Makefile:<line>", l) for item in window[b0:b1] for l in item[1]]
    return out


def _likeness(pattern, text):
    if _line_matches(pattern, text):
        return 1.0
    sm = difflib.SequenceMatcher(None, pattern, text, autojunk=False)
    return 0.9 * sm.ratio() if sm.real_quick_ratio() > 0.5 and sm.quick_ratio() > 0.5 else 0.0


def _matched(seg, window):
    sm = difflib.SequenceMatcher(None, [s[0] for s in seg], [w[0] for w in window], autojunk=False)
    return sum(b.size for b in sm.get_matching_blocks())


def render(sample, actual, fresh=False):
    """What --update writes: the real output in the sample's shape (its `...` lines kept
    where they stand for a run of real lines, its own text kept where it matches). The
    real lines each part of the sample stands for are those it matches best, up to
    SLACK lines more or fewer than it has."""
    segs = _segments(sample)
    if len(segs) == 1:
        return _render_run(segs[0], actual, fresh)
    first, *middle, last = segs
    ends = range(len(first), min(len(actual), len(first) + SLACK) + 1)
    end = max(ends, key=lambda k: (_matched(first, actual[:k]), -k), default=len(first))
    out = _render_run(first, actual[:end], fresh) + [ELLIPSIS]
    pos = end
    tail = max(pos, len(actual) - len(last))
    for seg in middle:  # where it matches best, line by line (a changed line counts in part)
        best, at = -1, pos
        for p in range(pos, max(pos, tail - len(seg)) + 1):
            score = sum(_likeness(s[0], actual[p + k][0]) for k, s in enumerate(seg) if p + k < len(actual))
            if score > best:
                best, at = score, p
        out += _render_run(seg, actual[at:at + len(seg)], fresh) + [ELLIPSIS]
        pos = at + len(seg)
    if last:
        starts = range(max(pos, len(actual) - len(last) - SLACK), max(pos, len(actual) - len(last)) + 1)
        start = max(starts, key=lambda k: (_matched(last, actual[k:]), k))
        out += _render_run(last, actual[start:], fresh)
    return out


def compare(sample_lines, output_lines, roots=(), fresh=False):
    """(ok, rendered): whether the sample matches the output, and the block --update would
    write (with fresh, the real lines even where the sample's match them)."""
    keep_build = any(BUILD_LINE.match(l) for l in sample_lines)
    s = _prepare(sample_lines, roots)
    a = _prepare(output_lines, roots, keep_build)
    ok = matches(s, a)
    if ok and not fresh:
        return True, list(sample_lines)
    out = render(s, a, fresh)
    while out and not out[0].strip():
        out.pop(0)
    return ok, out


def diff(sample, rendered, name):
    return "\n".join(difflib.unified_diff(sample, rendered, f"{name} (the sample)", "real output",
                                          lineterm="", n=2))


# ---- Running the commands.

@dataclasses.dataclass
class Result:
    sample: Sample
    ok: bool
    output: list = dataclasses.field(default_factory=list)
    rendered: list = dataclasses.field(default_factory=list)
    error: str = ""
    seconds: float = 0.0

    @property
    def detail(self):
        if self.error:
            return self.error
        return "" if self.ok else diff(self.sample.lines, self.rendered, self.sample.where)


def _copy_ignore(student):
    def ignore(src, names):
        here = pathlib.Path(src).resolve().relative_to(ROOT)
        drop = {n for n in names if n in (".git", "__pycache__") or n.endswith(".pyc")}
        if here == pathlib.Path("."):
            drop |= {"build", "_build"} & set(names)
        if student:
            drop |= {n for n in names if (here / n).as_posix() in handout.EXCLUDED}
            drop |= {n for n in names for g in handout.EXCLUDED_GLOBS if (here / n).match(g)}
        return drop
    return ignore


def _variants(setup, samples):
    """The build variants the commands of these samples use (so they are built first)."""
    found = set()
    for s in samples:
        text = " ".join(s.commands)
        if "SOLUTIONS=1" in text or (not setup.student and re.search(r"\b(run|qemu|gdb)\b", text)
                                     and "SOLUTIONS=0" not in text):
            found.add("1")
        if "SOLUTIONS=1" not in text:
            found.add("0")
    return sorted(found)


class Tree:
    """A copy of the kit for one setup, built warm from this repository's build/ folder."""

    def __init__(self, name, work):
        self.name, self.setup = name, setup_named(name)
        self.kit = pathlib.Path(work) / re.sub(r"\W", "_", name) / "kit"
        self.lock = threading.Lock()

    def make(self, samples):
        s = self.setup
        if (s.done or not s.student) and not (ROOT / "solutions").is_dir():
            raise RuntimeError(f"setup {self.name} needs the instructor's repository (solutions/)")
        shutil.copytree(ROOT, self.kit, ignore=_copy_ignore(s.student))
        for v in ("skel", "sol", "guest", "fixtures"):  # mtimes kept: make rebuilds only what differs
            if (ROOT / "build" / v).is_dir() and not (s.student and v == "sol"):
                shutil.copytree(ROOT / "build" / v, self.kit / "build" / v, symlinks=True)
        if s.student:  # the guest is linked again without the hidden programs
            (self.kit / "build/guest/tinykernel.elf").unlink(missing_ok=True)
        labs = {lab.number: lab for lab in manifest.load_all() if lab.arch == "arm"}
        for n in s.done:
            for f in labs[n].student_files:
                shutil.copyfile(ROOT / "solutions" / f, self.kit / f)
        changed = [f for n in s.done for f in labs[n].student_files]
        for path, old, new in s.edits:
            target = self.kit / path
            text = target.read_text()
            if old not in text:
                raise RuntimeError(f"setup {self.name}: {path} has no {old.strip()!r} to edit")
            target.write_text(text.replace(old, new, 1))
            changed.append(path)
        for f in changed:  # rebuilt from nothing: a file that does not compile leaves no old object
            for p in [*self.kit.glob(f"build/*/src/{f}"), *self.kit.glob(f"build/*/*/{f}.*")]:
                p.unlink(missing_ok=True)
        self.bin = self.kit.parent / "bin"
        self.bin.mkdir()
        for name, script in s.shims:
            (self.bin / name).write_text(f"#!/bin/sh\n{script}\n")
            (self.bin / name).chmod(0o755)
        if not s.prebuild:
            return
        text = " ".join(c for x in samples for c in x.commands)
        for v in _variants(s, samples):
            # the unit-test programs the commands run, or all of them for `make unit` and for
            # the grader (which starts from this build)
            variant = "sol" if v == "1" else "skel"
            units = sorted(set(re.findall(rf"\bbuild/{variant}/unit/[\w-]+", text)))
            targets = ["all"] + (["unit-bins"] if re.search(r"\bmake unit\b|\bgrade\b", text) else units)
            r = proc.run(_command(["make", f"-j{os.cpu_count() or 2}", *targets, f"SOLUTIONS={v}"]),
                         600, cwd=self.kit)
            if r.status != 0:
                raise RuntimeError(f"setup {self.name}: make {' '.join(targets)} SOLUTIONS={v} failed:\n"
                                   + "\n".join(r.output.splitlines()[-20:]))


def _command(argv, tree=None):
    env = ["LC_ALL=C"]
    if tree is not None:
        env += [f"PATH={tree.bin}:{os.environ.get('PATH', '/usr/bin:/bin')}",
                f"MINIVMM_GRADE_WARM={tree.kit / 'build'}"]
    return ["env", *(f"-u{n}" for n in UNSET), *env, *argv]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_gdb(sample, tree):
    """`make qemu-gdb` + `make gdb` with the sample's `+` lines typed into GDB: its transcript."""
    words = shlex.split(sample.commands[0])[1:]
    opts = dict(w.split("=", 1) for w in words if "=" in w)
    sol = opts.get("SOLUTIONS", "0" if tree.setup.student else "1") == "1"
    variant = "sol" if sol else "skel"
    typed = [l[1:] for l in sample.lines if l.startswith("+")]
    port = _free_port()
    argv = qemu.command(f"build/{variant}/minivmm.elf", "build/guest/tinykernel.elf",
                        opts.get("VMM_OPTS", "").split(), opts.get("RUN_ARGS", "run=demo").split(),
                        arch="arm") + ["-gdb", f"tcp:127.0.0.1:{port}", "-S"]
    vm = subprocess.Popen(argv, cwd=tree.kit, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        gdb = ["gdb-multiarch", "-q", "-nx", "-iex", "set confirm off", "-iex", "set width 0",
               "-iex", "set height 0", "-ex", f"file build/{variant}/minivmm.elf",
               "-ex", "add-symbol-file build/guest/tinykernel.elf",
               "-ex", f"target remote localhost:{port}", "-ex", "set trace-commands on"]
        typing = "".join(c + "\n" for c in typed + ["kill", "quit"]).encode()
        r = proc.run(_command(gdb, tree), 90, cwd=tree.kit, stdin=typing)
    finally:
        vm.kill()
        vm.wait()
    out = [re.sub(r"^(\(gdb\) )+", "", l) for l in r.output.splitlines()]
    if typed:
        first = next((i for i, l in enumerate(out) if l.startswith("+")), len(out))
    else:
        first = next((i + 1 for i, l in enumerate(out) if l.startswith("Remote debugging using")), 0)
    last = next((i for i, l in enumerate(out) if l == "+kill"), len(out))
    return out[first:last], r


def run_sample(sample, tree, fresh=False):
    start = time.monotonic()
    try:
        if sample.commands[0].split()[0] == "gdb":
            out, r = run_gdb(sample, tree)
        else:
            # a command written `$ command` is shown after a prompt, as the sample shows it
            # ($? is kept across the prompt, for a `$ echo $?`)
            script = "".join(f"__s=$?; printf '%s\\n' {shlex.quote(c)}; (exit $__s)\n{c[2:]}\n"
                             if c.startswith("$ ") else c + "\n" for c in sample.commands)
            r = proc.run(_command(["bash", "-c", script], tree), SAMPLE_TIMEOUT, cwd=tree.kit, cap=4 << 20)
            out = r.output.splitlines()
        if r.timed_out:
            return Result(sample, False, out, error=f"timed out after {SAMPLE_TIMEOUT} s:\n"
                          + "\n".join(out[-15:]), seconds=time.monotonic() - start)
        ok, rendered = compare(sample.lines, out, roots=(tree.kit, ROOT), fresh=fresh)
        return Result(sample, ok, out, rendered, seconds=time.monotonic() - start)
    except Exception as e:  # a broken setup or command fails its sample, not the whole check
        return Result(sample, False, error=f"{type(e).__name__}: {e}", seconds=time.monotonic() - start)


GRADER = re.compile(r"\bmake grade\b|-m grader\b(?!\.)|run_autograder")


def _builds_elsewhere(sample):
    """Whether the sample's commands only grade, in trees of the grader's own (so they can
    run alongside the other samples of their copy)."""
    return sample.commands[0].split()[0] != "gdb" and bool(GRADER.search(" ".join(sample.commands)))


def _cost(sample):
    """A guess of a sample's time, to start the long ones first."""
    text = " ".join(sample.commands)
    return (10 if GRADER.search(text) else 0) + (4 if setup_named(sample.setup).edits else 0) + \
        (4 if "sleep" in text else 0) + 1


def check(files=None, jobs=None, only=None, keep=False, progress=None, fresh=False):
    """Run every sample of files (default: the handouts and docs). Returns (results, problems)."""
    files = files or rst_files()
    samples, problems = [], []
    for f in files:
        s, p = parse(pathlib.Path(f))
        samples += s
        problems += p
    if only:
        samples = [s for s in samples if any(o in f"{s.where} [{s.setup}] {' '.join(s.commands)}" for o in only)]
    work = pathlib.Path(tempfile.mkdtemp(prefix="mvsamples-"))
    trees, results = {}, []
    for s in samples:
        try:
            setup_named(s.setup)
        except ValueError as e:
            results.append(Result(s, False, error=str(e)))
            continue
        trees.setdefault(s.setup, []).append(s)
    lock = threading.Lock()
    jobs = jobs or os.cpu_count() or 2

    def prepare(name):
        tree = Tree(name, work)
        tree.make(trees[name])
        return tree

    def one(s, made):
        try:
            tree = made.result()
        except Exception as e:  # the setup failed: so do its samples
            r = Result(s, False, error=str(e))
        else:
            if _builds_elsewhere(s):
                r = run_sample(s, tree, fresh)
            else:
                with tree.lock:  # commands that may build in the copy take turns
                    r = run_sample(s, tree, fresh)
        if progress:
            with lock:
                progress(r)
        return r

    try:
        with concurrent.futures.ThreadPoolExecutor(jobs) as tree_pool, \
                concurrent.futures.ThreadPoolExecutor(jobs + 1) as sample_pool:
            made = {name: tree_pool.submit(prepare, name)
                    for name in sorted(trees, key=lambda n: -sum(map(_cost, trees[n])))}
            todo = sorted((s for name in made for s in trees[name]), key=lambda s: -_cost(s))
            futures = [sample_pool.submit(one, s, made[s.setup]) for s in todo]
            results += [f.result() for f in futures]
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"samples: trees kept in {work}", file=sys.stderr)
    order = {id(s): i for i, s in enumerate(samples)}
    results.sort(key=lambda r: order.get(id(r.sample), -1))
    return results, problems


def update(results):
    """Write the real output into the handouts for every sample that did not match. Each
    file is read again right before it is written (others may be editing it), and a
    block is replaced only where its marker and old text still stand."""
    by_file = {}
    for r in results:
        if not r.error and r.rendered and r.rendered != r.sample.lines:
            by_file.setdefault(r.sample.path, []).append(r)
    written = []
    for path, rs in by_file.items():
        text = path.read_text()
        lines = text.splitlines()
        for r in sorted(rs, key=lambda r: -r.sample.line):
            s = r.sample
            old = [s.indent + l if l else "" for l in s.lines]
            at = _find(lines, s.marker, old)
            if at is None:
                print(f"samples: {s.where}: the block changed since it was read; not updated", file=sys.stderr)
                continue
            new = [(s.indent + l).rstrip() if l.strip() else "" for l in r.rendered]
            lines[at:at + len(old)] = new
            written.append(s.where)
        path.write_text("\n".join(lines) + ("\n" if text.endswith("\n") else ""))
    return written


def _find(lines, marker, old):
    """Index of the block old that follows the marker lines in lines, or None."""
    for i in range(len(lines)):
        if lines[i:i + len(marker)] == marker:
            for j in range(i + len(marker), len(lines) - len(old) + 1):
                if [l.rstrip() for l in lines[j:j + len(old)]] == [l.rstrip() for l in old]:
                    return j
                if MARKER.match(lines[j]):
                    break
            return None
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m grader.samples", description=(
        "Re-run the command behind every sample of the handouts and docs and compare."))
    ap.add_argument("files", nargs="*", help=".rst files (default: labs/*/README.rst and docs/**/*.rst)")
    ap.add_argument("--update", action="store_true", help="write the real output into the samples that differ")
    ap.add_argument("--fresh", action="store_true",
                    help="with --update: write the real output even where the sample matches it "
                         "(to bring addresses and numbers up to date)")
    ap.add_argument("--only", action="append", help="only the samples whose place or command contains this")
    ap.add_argument("--list", action="store_true", help="list the samples and setups, run nothing")
    ap.add_argument("--jobs", type=int, default=None, help="setups prepared and run in parallel")
    ap.add_argument("--keep", action="store_true", help="keep the temporary copies of the kit")
    a = ap.parse_args(argv)
    files = [pathlib.Path(f).resolve() for f in a.files] or None
    if a.list:
        for f in files or rst_files():
            for s in parse(pathlib.Path(f))[0]:
                print(f"{s.where}: [{s.setup}] {'; '.join(s.commands)}")
        for name, s in SETUPS.items():
            print(f"setup {name}: {s.what}")
        return 0
    start = time.monotonic()

    def progress(r):
        print(f"[{'ok  ' if r.ok else 'FAIL'}] {r.sample.title} ({r.seconds:.1f}s)", flush=True)
        if not r.ok:
            print(r.detail, flush=True)

    results, problems = check(files, a.jobs, a.only, a.keep, progress, a.fresh and a.update)
    for p in problems:
        print(f"samples: {p}")
    failed = [r for r in results if not r.ok]
    if a.update:
        for where in update(results):
            print(f"samples: updated {where}")
    print(f"samples: {len(results) - len(failed)} of {len(results)} samples match"
          + (f", {len(problems)} problems" if problems else "")
          + f" ({time.monotonic() - start:.0f} s)")
    return 1 if (failed and not a.update) or problems or any(r.error for r in failed) else 0


if __name__ == "__main__":
    sys.exit(main())
