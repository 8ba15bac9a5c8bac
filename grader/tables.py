"""The grading table of each lab's handout, made from its lab.toml, so that the two cannot disagree.

In labs/<lab>/README.rst the table sits between two reStructuredText comments,

    .. grading-table: begin (...)
    ...
    .. grading-table: end

and everything between them is written here from the manifest: each visible test's name,
kind, points, timeout, dependencies, its Check test case or guest program (with the
minivmm options, the typed input and the exit status it needs), its 'what' and its
expected text, then the total. Hidden tests (hidden.toml) never appear. A
':Tests and points: <n> tests, <p> points' field at the top of the handout is kept
in step too.

    python3 -m grader.tables --check    exit 1 with a diff where a handout and its manifest disagree
    python3 -m grader.tables --update   rewrite the tables (and the counts) from the manifests
"""
import argparse
import difflib
import pathlib
import re
import sys
import textwrap

from . import manifest

BEGIN = ".. grading-table: begin"
END = ".. grading-table: end"
BEGIN_LINE = BEGIN + " (written from lab.toml by python3 -m grader.tables)"
# The handout's summary field, e.g. ":Tests and points: 12 tests, 30 points (see `Grading`_)"
# or "8 graded tests, 28 points, and an ungraded Linux boot".
SUMMARY = re.compile(r"^(:Tests and points: )(\d+)( (?:graded )?tests?, )(\d+(?:\.\d+)?)( points?)", re.M)
WIDTHS = "17 7 7 8 18 43"
WIDTH = 79          # the handouts' line length
CELL = " " * 7      # continuation indent of a list-table cell


class TableError(Exception):
    """A handout or manifest the table cannot be made for; the message says which and why."""


def _num(x):
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def lit(text, where):
    """text as an inline literal (``text``)."""
    if not text or text != text.strip() or "``" in text or "\n" in text:
        raise TableError(f"{where}: {text!r} cannot be shown as a literal in the table "
                         "(empty, spaces at an end, a newline or ``)")
    return f"``{text}``"


def _and(items):
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _sentence(text):
    text = " ".join(text.split())
    return text if text[-1:] in ".!?" else text + "."


def describe(t):
    """The 'What it checks' cell of test t: where it runs, its 'what', what it needs and expects."""
    where = f"{t.lab.path / 'lab.toml'}: test {t.name}"
    if not t.what.strip():
        raise TableError(f"{where}: no 'what' (one sentence on what the test checks, for the "
                         "handout's grading table)")
    if t.kind == "unit":
        head = f"Check test case {lit(t.case, where)} (on the host)"
    else:
        head = (f"Guest program {lit(t.program, where)}" if t.program
                else f"Guest {lit(t.guest, where)}")
        opts = []
        if t.vmm_opts:
            opts.append(f"minivmm option{'s' if len(t.vmm_opts.split()) > 1 else ''} "
                        f"{lit(t.vmm_opts, where)}")
        if t.guest_args:
            opts.append(f"guest boot argument{'s' if len(t.guest_args.split()) > 1 else ''} "
                        f"{lit(t.guest_args, where)}")
        if opts:
            head += " with " + " and ".join(opts)
    parts = [f"{head}: {_sentence(t.what)}"]
    if t.kind == "qemu":
        grader = []
        if t.needs:
            grader.append(f"runs {lit('make ' + t.needs, where)} first")
        if t.stdin:
            typed = t.stdin[:-1] if t.stdin.endswith("\n") else t.stdin
            said = lit(typed, where) + (" and a newline" if t.stdin.endswith("\n") else "")
            after = f" once the output shows {lit(t.stdin_after, where)}" if t.stdin_after else ""
            grader.append(f"types {said}{after}")
        if grader:
            parts.append(f"The grader {_and(grader)}.")
        if t.expect_exit:
            parts.append(f"minivmm must end with status {t.expect_exit}.")
        if not t.proof:
            parts.append("No ``MVTEST`` line is needed.")
    if t.expect:
        parts.append(f"Expected text{'s' if len(t.expect) > 1 else ''}: "
                     f"{_and([lit(e, where) for e in t.expect])}.")
    return " ".join(parts)


def _cell(text, first="     - "):
    """One list-table cell, wrapped to the handout's width; never broken after a backslash
    (an escaped space, as in 2\\ :sup:`32`)."""
    hold = "\x00"
    lines = textwrap.wrap(text.replace("\\ ", "\\" + hold), WIDTH, initial_indent=first,
                          subsequent_indent=CELL, break_long_words=False, break_on_hyphens=False)
    return [line.replace(hold, " ") for line in lines]


def visible(lab):
    """The tests a student sees: lab.toml's, never hidden.toml's."""
    return [t for t in lab.tests if not t.hidden]


def render(lab):
    """The lines between the two markers: the list-table and the total."""
    tests = visible(lab)
    out = [".. list-table::", "   :header-rows: 1", f"   :widths: {WIDTHS}", ""]
    for head in ("Test", "Kind", "Points", "Timeout", "Depends on", "What it checks"):
        out.append(("   * - " if head == "Test" else "     - ") + head)
    for t in tests:
        where = f"{lab.path / 'lab.toml'}: test {t.name}"
        out.append(f"   * - {lit(t.name, where)}")
        out.append(f"     - {t.kind}")
        out.append(f"     - {_num(t.points) if t.graded else 'ungraded'}")
        out.append(f"     - {_num(t.timeout)} s")
        out += _cell(", ".join(lit(d, where) for d in t.depends) or "(none)")
        out += _cell(describe(t))
    graded = [t for t in tests if t.graded]
    total = sum(t.points for t in graded)
    unit = sum(t.points for t in graded if t.kind == "unit")
    line = f"Total: {_num(total)} point{'' if total == 1 else 's'}"
    if unit and unit != total:
        line += f", {_num(unit)} from the unit tests and {_num(total - unit)} from the QEMU tests"
    line += "."
    ungraded = [lit(t.name, lab.name) for t in tests if not t.graded]
    if ungraded:
        one = len(ungraded) == 1
        line += (f" {_and(ungraded)} {'is' if one else 'are'} ungraded: {'it shows' if one else 'they show'} "
                 '"ungraded" in the points column and never changes your score or the grader\'s '
                 "exit status.")
    out += ["", *textwrap.wrap(line, WIDTH, break_long_words=False, break_on_hyphens=False)]
    return out


def handout(lab):
    return lab.path / "README.rst"


def rewrite(lab, text):
    """text (the handout) with its table and summary field made from the manifest."""
    where = str(handout(lab))
    lines = text.split("\n")
    begins = [i for i, l in enumerate(lines) if l.startswith(BEGIN)]
    ends = [i for i, l in enumerate(lines) if l.startswith(END)]
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        raise TableError(f"{where}: needs one '{BEGIN}' line and, after it, one '{END}' line "
                         "(reStructuredText comments, each followed by a blank line) where the "
                         "grading table goes")
    b, e = begins[0], ends[0]
    lines[b:e + 1] = [BEGIN_LINE, "", *render(lab), "", END]
    text = "\n".join(lines)
    tests = [t for t in visible(lab) if t.graded]
    total = _num(sum(t.points for t in tests))
    return SUMMARY.sub(lambda m: f"{m.group(1)}{len(tests)}{m.group(3)}{total}{m.group(5)}", text, count=1)


def run(root=manifest.ROOT, update=False, out=None):
    """Check (or, with update, rewrite) every lab's handout; a diff (or what was rewritten)
    goes to out. Returns the handouts that were (or would be) changed. Every table is made
    before any is written, so an error leaves every handout as it was."""
    out = out or sys.stdout
    work = []
    for lab in manifest.load_all(root):
        path = handout(lab)
        if not path.is_file():
            raise TableError(f"{path}: missing (every lab's handout has a grading table)")
        old = path.read_text()
        new = rewrite(lab, old)
        if new != old:
            work.append((path, old, new))
    for path, old, new in work:
        rel = path.relative_to(root) if path.is_relative_to(root) else path
        if update:
            path.write_text(new)
            print(f"tables: rewrote the grading table of {rel}", file=out)
        else:
            out.writelines(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                                f"{rel} (the handout)", f"{rel} (from lab.toml)"))
    return [path for path, _, _ in work]


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m grader.tables",
                                 description="The handouts' grading tables, made from the labs' lab.toml.")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true",
                      help="exit 1 with a diff if a handout's table disagrees with its manifest")
    mode.add_argument("--update", action="store_true", help="rewrite the tables from the manifests")
    ap.add_argument("--root", type=pathlib.Path, default=manifest.ROOT, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    try:
        changed = run(a.root, update=a.update)
    except (TableError, manifest.ManifestError) as e:
        print(f"tables: {e}", file=sys.stderr)
        return 1
    if a.update:
        if not changed:
            print("tables: every grading table already matches its lab.toml")
        return 0
    if changed:
        print(f"tables: {len(changed)} handout(s) disagree with their lab.toml (above); "
              "run `python3 -m grader.tables --update`", file=sys.stderr)
        return 1
    print("tables: every grading table matches its lab.toml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
