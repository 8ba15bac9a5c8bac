"""Mutation check of a lab's unit tests: small faults put into the reference student files, one at a time, must make the lab's Check program fail.

`python3 -m grader.mutate --lab N [--max M] [--jobs J]` makes mutants of each student file
of lab N (solutions/<file>) by simple, deterministic source edits on code lines (never in
comments, preprocessor lines, string or character literals):

    relational   <  <->  <=,  >  <->  >=,  ==  <->  !=
    logical      &&  <->  ||
    arith        binary +  <->  -
    literal      an integer literal n -> n+1 (decimal or hex; not an array size of a declaration)
    negation     !x -> x in a return statement
    statement    a line that is one plain assignment or call ending in ';' -> ';'

Each mutant changes one site; they are numbered in source order (line, column), and --max
keeps M of a file's, spread evenly over it. One build tree per lab (grader/tree.py, the
lab's files the reference), started from the pristine build cache (grader/cache.py), so a
mutant costs the compile of its file and the link of the lab's Check program
(build/skel/unit/<lab>), which then runs all its cases: a failure or a timeout kills the
mutant, a pass lets it survive, a mutant that does not compile is left out of the score.
It is a report, not a gate: the exit status is 0 unless the tool failed (2), or the score
is below --min-score (1).
"""
import argparse
import dataclasses
import pathlib
import re
import sys
import time

from . import cache, manifest, proc, runner, tree

ROOT = manifest.ROOT
TIMEOUT = 20.0          # seconds per run of the lab's Check program: longer is a kill
BUILD_TIMEOUT = 120     # a mutant's compile and link
KINDS = ("relational", "logical", "arith", "literal", "negation", "statement")

# ---- A small C lexer: the code tokens of a file, with their places.

PUNCTUATORS = sorted("""
... <<= >>= -> ++ -- << >> <= >= == != && || *= /= %= += -= &= ^= |= ## 
[ ] ( ) { } . & * + - ~ ! / % < > ^ | ? : ; = , #
""".split(), key=len, reverse=True)
KEYWORDS = set("""
auto break case char const continue default do double else enum extern float for goto if inline
int long register restrict return short signed sizeof static struct switch typedef union unsigned
void volatile while _Bool _Static_assert _Alignof _Alignas _Noreturn bool static_assert alignof
""".split())
TYPE_WORDS = set("""
char const double enum extern float inline int long register restrict short signed static struct
typedef union unsigned void volatile _Bool bool _Noreturn
""".split())
ASSIGN_OPS = {"=", "*=", "/=", "%=", "+=", "-=", "&=", "^=", "|=", "<<=", ">>="}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PPNUM = re.compile(r"\.?[0-9](?:[eEpP][+-]|[0-9A-Za-z_.])*")
_INT = re.compile(r"(0[xX])([0-9a-fA-F]+)([uUlL]*)|(0|[1-9][0-9]*)([uUlL]*)")


@dataclasses.dataclass
class Token:
    kind: str      # "ident", "number", "string", "char", "punct", "other"
    text: str
    pos: int       # offset in the source
    line: int      # 1-based
    col: int       # 0-based, in the line


def tokenize(src):
    """The code tokens of C source src: no comments, no preprocessor lines (with their
    continuations); string and character literals are one token each."""
    out = []
    i, n, line, start, bol = 0, len(src), 1, 0, True

    def newlines(a, b):
        nonlocal line, start
        k = src.count("\n", a, b)
        if k:
            line += k
            start = src.rindex("\n", a, b) + 1

    while i < n:
        c = src[i]
        if c == "\n":
            line, i, start, bol = line + 1, i + 1, i + 1, True
        elif c in " \t\r\f\v":
            i += 1
        elif c == "\\" and src.startswith("\n", i + 1):
            newlines(i, i + 2)
            i += 2
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            newlines(i, j)
            i = j
        elif src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif c == "#" and bol:  # a preprocessor line, to its last continuation
            j = i
            while True:
                j = src.find("\n", j)
                if j < 0:
                    j = n
                    break
                if src[j - 1] == "\\" or (src[j - 1] == "\r" and src[j - 2] == "\\"):
                    j += 1
                    continue
                break
            newlines(i, j)
            i = j
        else:
            bol = False
            m = _IDENT.match(src, i)
            if m and m.group() in ("L", "u", "U", "u8") and src[m.end():m.end() + 1] in ("'", '"'):
                m = None  # a literal's prefix
            if c in "'\"" or (m is None and c.isalpha()):
                q = i
                while src[q] not in "'\"":
                    q += 1
                quote, j = src[q], q + 1
                while j < n and src[j] != quote and src[j] != "\n":
                    j += 2 if src[j] == "\\" else 1
                j = min(j + 1, n)
                out.append(Token("string" if quote == '"' else "char", src[i:j], i, line, i - start))
                newlines(i, j)
                i = j
            elif m:
                out.append(Token("ident", m.group(), i, line, i - start))
                i = m.end()
            elif (m := _PPNUM.match(src, i)):
                out.append(Token("number", m.group(), i, line, i - start))
                i = m.end()
            else:
                p = next((p for p in PUNCTUATORS if src.startswith(p, i)), None)
                out.append(Token("punct" if p else "other", p or c, i, line, i - start))
                i += len(p or c)
    return out


# ---- Mutants

@dataclasses.dataclass
class Mutant:
    number: int        # 1-based, in source order, among all of its file's mutants
    kind: str          # one of KINDS
    line: int
    col: int
    original: str      # the line as it was (stripped)
    mutated: str       # the line as the mutant has it (stripped)
    text: str          # the whole mutated source

    def describe(self, name):
        return f"{name}:{self.line}: {self.original} -> {self.mutated}"


def _is_type_word(tok):
    return tok.kind == "ident" and (tok.text in TYPE_WORDS or tok.text.endswith("_t"))


def _operand_end(toks, k):
    """Whether toks[k] ends an operand (so a + or - after it is binary)."""
    t = toks[k]
    if t.kind in ("number", "string", "char"):
        return True
    if t.kind == "ident":
        return t.text not in KEYWORDS
    if t.text == "]":
        return True
    if t.text != ")":
        return False
    depth, j = 0, k  # a cast, "(type *)": its group holds only type words, names and '*'
    while j >= 0:
        depth += {")": 1, "(": -1}.get(toks[j].text, 0) if toks[j].kind == "punct" else 0
        if depth == 0:
            break
        j -= 1
    inside = toks[j + 1:k]
    if j <= 0 or not inside:
        return True
    if toks[j - 1].kind == "ident" and toks[j - 1].text not in KEYWORDS:
        return True  # a call's parentheses
    castlike = all(x.kind == "ident" or x.text == "*" for x in inside)
    return not (castlike and any(_is_type_word(x) for x in inside))


def _statement_start(toks, k):
    """The index of the first token of the statement that holds toks[k]."""
    j = k - 1
    while j >= 0 and toks[j].text not in (";", "{", "}"):
        j -= 1
    return j + 1


def _decl_bracket(toks, b):
    """Whether the '[' at toks[b] follows the name of an array being declared: TYPE NAME [
    (two words in a row only start a declaration; TYPE *NAME [ too), or NAME [..] [."""
    if b < 2:
        return False
    if toks[b - 1].text == "]":  # a further size: the same question for the first one
        depth, j = 0, b - 1
        while j >= 0:
            depth += {"]": 1, "[": -1}.get(toks[j].text, 0) if toks[j].kind == "punct" else 0
            if depth == 0:
                return _decl_bracket(toks, j)
            j -= 1
        return False
    if toks[b - 1].kind != "ident":
        return False
    j = b - 2
    while j >= 0 and toks[j].text == "*":
        j -= 1
    return j >= 0 and toks[j].kind == "ident" and toks[j].text not in ("return", "case", "sizeof", "else")


def _array_size(toks, k):
    """Whether number toks[k] is the size of an array in a declaration: [ k ] after one."""
    return (0 < k < len(toks) - 1 and toks[k - 1].text == "[" and toks[k + 1].text == "]"
            and _decl_bracket(toks, k - 1))


def _plus_one(text):
    """n+1 of an integer literal's text (its form kept: base, case, width, suffix); None
    for anything else (floats, octal)."""
    m = _INT.fullmatch(text)
    if not m:
        return None
    if m.group(1):
        digits = m.group(2)
        new = format(int(digits, 16) + 1, "X" if digits.isupper() and not digits.isdigit() else "x")
        return m.group(1) + new.zfill(len(digits)) + m.group(3)
    return str(int(m.group(4)) + 1) + m.group(5)


def _statement_line(toks, first, last):
    """Whether toks[first..last] (one line's tokens) is a whole statement that is a plain
    assignment or a call, so that the line may become ';'."""
    line = toks[first:last + 1]
    if len(line) < 3 or line[-1].text != ";" or sum(t.text == ";" for t in line) != 1:
        return False
    prev = toks[first - 1] if first else None
    if prev is None or not (prev.text in (";", "{", "}", ":", ")") or prev.text == "else"):
        return False
    if not any(t.text == "{" for t in toks[:first]):
        return False  # file scope
    head = line[0]
    if head.kind != "ident" or head.text in KEYWORDS or _is_type_word(head):
        return False
    if line[1].kind == "ident" or (line[1].text == "*" and line[2].kind == "ident"
                                   and len(line) > 3 and line[3].text in ("=", ";", "[")):
        return False  # a declaration: NAME NAME ..., NAME *NAME = ...
    depth = 0
    for t in line:
        if t.kind != "punct":
            continue
        if t.text in "([{":
            depth += 1
        elif t.text in ")]}":
            depth -= 1
            if depth < 0:
                return False
        elif depth == 0 and (t.text in ASSIGN_OPS or t.text in ("++", "--")):
            return all(x.text not in "{}" for x in line)
    if depth != 0 or line[-2].text != ")":
        return False
    k = 1  # a call: NAME (-> or . NAME)* ( ... ) ;
    while k + 1 < len(line) and line[k].text in ("->", ".") and line[k + 1].kind == "ident":
        k += 2
    if line[k].text != "(":
        return False
    depth = 0
    for j in range(k, len(line)):
        depth += {"(": 1, ")": -1}.get(line[j].text, 0) if line[j].kind == "punct" else 0
        if depth == 0:
            return j == len(line) - 2
    return False


def sites(src):
    """Every mutation site of C source src, in source order: (pos, length, replacement,
    kind) tuples, the replacement to put in place of src[pos:pos+length]."""
    toks = tokenize(src)
    swaps = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "==", "&&": "||", "||": "&&"}
    out = []
    by_line = {}
    for k, t in enumerate(toks):
        by_line.setdefault(t.line, []).append(k)
    starts = {ks[0]: ks[-1] for ks in by_line.values()}
    for k, t in enumerate(toks):
        if k in starts and _statement_line(toks, k, starts[k]):
            end = toks[starts[k]]
            out.append((t.pos, end.pos + len(end.text) - t.pos, ";", "statement"))
        if t.kind == "punct" and t.text in swaps:
            kind = "logical" if t.text in ("&&", "||") else "relational"
            out.append((t.pos, len(t.text), swaps[t.text], kind))
        elif t.kind == "punct" and t.text in ("+", "-") and k and _operand_end(toks, k - 1):
            out.append((t.pos, 1, "-" if t.text == "+" else "+", "arith"))
        elif t.kind == "number" and not _array_size(toks, k):
            new = _plus_one(t.text)
            if new is not None:
                out.append((t.pos, len(t.text), new, "literal"))
        elif t.kind == "punct" and t.text == "!" and toks[_statement_start(toks, k)].text == "return":
            out.append((t.pos, 1, "", "negation"))
    return out


def _line_of(src, pos):
    a = src.rfind("\n", 0, pos) + 1
    b = src.find("\n", pos)
    return a, (len(src) if b < 0 else b)


def mutants(src):
    """Every mutant of C source src (Mutant), numbered 1.. in source order."""
    out = []
    for number, (pos, length, repl, kind) in enumerate(sites(src), 1):
        text = src[:pos] + repl + src[pos + length:]
        a, b = _line_of(src, pos)
        line = src.count("\n", 0, pos) + 1
        out.append(Mutant(number, kind, line, pos - a, src[a:b].strip(),
                          text[a:b + len(repl) - length].strip(), text))
    return out


def spread(items, most):
    """At most `most` of items, spread evenly over them (the middle of each of `most` equal
    parts), in order; all of them if most is None or not fewer."""
    n = len(items)
    if most is None or most >= n:
        return list(items)
    if most <= 0:
        return []
    return [items[(2 * i + 1) * n // (2 * most)] for i in range(most)]


# ---- Running them

class MutateError(Exception):
    """The tool itself cannot go on (no reference, a reference that fails its own tests...)."""


@dataclasses.dataclass
class Result:
    file: str
    mutant: Mutant
    status: str        # "killed", "survived", "no-compile"
    seconds: float
    why: str = ""      # killed: "timeout" or "fail"


def say(text):
    print(f"mutate: {text}", file=sys.stderr, flush=True)


class LabTree:
    """One build tree for a lab: the lab's student files the reference, started from the
    pristine build cache; mutants are written over one file at a time, which is restored after."""

    def __init__(self, lab, labs, jobs, timeout, root=ROOT):
        self.lab, self.jobs, self.timeout = lab, jobs, timeout
        self.unit = runner.unit_program(lab)
        if not any(pathlib.Path(lab.path, "tests/unit").glob("*.c")):
            raise MutateError(f"lab {lab.id} has no unit tests (labs/{lab.name}/tests/unit/*.c)")
        try:
            overlay = tree.reference_overlay([lab], root)
        except tree.SubmissionError as e:
            raise MutateError(str(e)) from None
        self.reference = {f: pathlib.Path(src).read_text() for f, src in overlay.items()}
        self.kit = tree.make_tree(overlay, root=root)
        try:
            self.seeded = cache.start(self.kit, lab.arch, cache.student_files(labs, lab.arch), jobs,
                                      units=[self.unit], root=root)
            ok, log = runner.build(self.kit, jobs, arch=lab.arch, targets=[self.target],
                                   timeout=runner.BUILD_TIMEOUT)
            if not ok:
                raise MutateError(f"the reference of lab {lab.id} does not build:\n{runner._tail(log, 15)}")
            passed, why, out = self.run()
            if not passed:
                raise MutateError(f"the reference of lab {lab.id} fails its own unit tests ({why}):\n"
                                  f"{runner._tail(out, 15)}")
        except BaseException:
            self.close()
            raise

    @property
    def target(self):
        return f"build/skel/unit/{self.unit}"

    def close(self):
        tree.remove_tree(self.kit)

    def run(self):
        """Run the lab's Check program, all its cases: (passed, why, output)."""
        env = runner.tree_env(self.kit, CK_FORK="yes", CK_DEFAULT_TIMEOUT=f"{self.timeout:g}",
                              CK_VERBOSITY="normal")
        r = proc.run([str(self.kit / self.target)], self.timeout, cwd=self.kit, env=env)
        if r.timed_out or "Test timeout expired" in r.output:
            return False, "timeout", r.output
        return r.status == 0, "" if r.status == 0 else "fail", r.output

    def _write(self, f, text):
        """Put text in the tree's copy of student file f and drop what make made of the
        last one (its copy in build/skel/src, its host object), so that it is compiled
        afresh whatever the mtimes say."""
        (self.kit / f).write_text(text)
        for p in [self.kit / "build/skel/src" / f, *self.kit.glob(f"build/skel/host/{f}.*")]:
            p.unlink(missing_ok=True)

    def try_mutant(self, f, m):
        start = time.monotonic()
        self._write(f, m.text)
        try:
            ok, _ = runner.build(self.kit, self.jobs, arch=self.lab.arch, targets=[self.target],
                                 timeout=BUILD_TIMEOUT)
            if not ok:
                return Result(f, m, "no-compile", time.monotonic() - start)
            passed, why, _ = self.run()
            return Result(f, m, "survived" if passed else "killed", time.monotonic() - start, why)
        finally:
            self._write(f, self.reference[f])


def plan(lab, most=None, only=(), root=ROOT):
    """{student file: its mutants to try} for lab (--max: most per file)."""
    out = {}
    for f in lab.student_files:
        if only and not any(f == o or f.endswith("/" + o) for o in only):
            continue
        src = pathlib.Path(root, "solutions", f)
        if not src.is_file():
            raise MutateError(f"the reference solution {src} is missing (a student handout has none)")
        out[f] = spread(mutants(src.read_text()), most)
    return out


def check_lab(lab, labs, most=None, jobs=2, timeout=TIMEOUT, only=(), root=ROOT):
    """Try the mutants of lab's student files; [Result] in order."""
    todo = plan(lab, most, only, root)
    say(f"lab{lab.id}: {sum(map(len, todo.values()))} mutants of {len(todo)} file(s); "
        f"building the reference tree")
    lt = LabTree(lab, labs, jobs, timeout, root)
    results = []
    try:
        if not lt.seeded:
            say("no build cache: the tree was built whole")
        for f, ms in todo.items():
            name = pathlib.PurePosixPath(f).name
            for i, m in enumerate(ms, 1):
                r = lt.try_mutant(f, m)
                results.append(r)
                say(f"lab{lab.id} {name} {i}/{len(ms)} #{m.number} {m.kind} line {m.line}: "
                    f"{r.status}{' (' + r.why + ')' if r.why else ''} {r.seconds:.1f}s")
    finally:
        lt.close()
    return results


def score(killed, survived):
    return killed / (killed + survived) if killed + survived else None


def table(lab, results, files):
    """The report: one row per file, a total, then every survivor."""
    rows = []
    total = [0, 0, 0, 0]
    for f in files:
        rs = [r for r in results if r.file == f]
        c = [len(rs), *(sum(r.status == s for r in rs) for s in ("killed", "survived", "no-compile"))]
        total = [a + b for a, b in zip(total, c)]
        rows.append((f, *c))
    rows.append(("total", *total))
    width = max(len(r[0]) for r in rows)
    lines = [f"mutation check: lab {lab.id} ({lab.name})",
             f"{'file':<{width}}  mutants  killed  survived  no-compile   score"]
    for name, n, k, s, nc in rows:
        sc = score(k, s)
        lines.append(f"{name:<{width}}  {n:7d}  {k:6d}  {s:8d}  {nc:10d}  "
                     f"{'-' if sc is None else f'{100 * sc:5.1f}%':>6}")
    survivors = [r for r in results if r.status == "survived"]
    lines.append(f"survivors ({len(survivors)}):" if survivors else "survivors: none")
    lines += [f"  {r.mutant.describe(r.file)}" for r in survivors]
    return "\n".join(lines), score(total[1], total[2])


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m grader.mutate", description=(
        "Mutation check of a lab's unit tests: small faults put into the reference student "
        "files one at a time; the lab's Check program should fail on each. A report: exit "
        "status 0 unless the tool fails (2) or the score is below --min-score (1)."))
    ap.add_argument("--lab", required=True, help="the lab's id, e.g. 6")
    ap.add_argument("--max", type=int, default=None, metavar="M",
                    help="at most M mutants per student file, spread evenly over it")
    ap.add_argument("--jobs", type=int, default=min(2, runner.default_jobs()), help="make -j (default 2)")
    ap.add_argument("--timeout", type=float, default=TIMEOUT,
                    help=f"seconds per run of the Check program; longer counts as killed (default {TIMEOUT:g})")
    ap.add_argument("--file", action="append", default=[], metavar="NAME",
                    help="only this student file (its path or name; may be repeated)")
    ap.add_argument("--min-score", type=float, default=None, metavar="X",
                    help="exit 1 if the score killed/(killed+survived) is below X (0.8 or 80)")
    ap.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    a = ap.parse_args(argv)
    try:
        labs = manifest.load_all()
        lab = manifest.find_lab(labs, a.lab)
        if a.list:
            for f, ms in plan(lab, a.max, a.file).items():
                for m in ms:
                    print(f"#{m.number} {m.kind}: {m.describe(f)}")
            return 0
        start = time.monotonic()
        results = check_lab(lab, labs, a.max, a.jobs, a.timeout, a.file)
    except (manifest.ManifestError, MutateError) as e:
        say(str(e))
        return 2
    files = list(dict.fromkeys(r.file for r in results))
    text, total = table(lab, results, files)
    print(text)
    print(f"({len(results)} mutants in {time.monotonic() - start:.0f} s)")
    if a.min_score is not None:
        want = a.min_score / 100 if a.min_score > 1 else a.min_score
        if total is not None and total < want:
            say(f"score {100 * total:.1f}% is below --min-score {100 * want:g}%")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
