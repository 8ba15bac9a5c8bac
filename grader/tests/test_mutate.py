"""Tests of grader/mutate.py: the mutant generator on small C snippets (each operator, comments, strings and preprocessor lines untouched, numbering, --max's spread), and one real run on lab 0."""
import contextlib
import io
import re
import shutil
import subprocess
import unittest
from unittest import mock

from grader import manifest, mutate

ROOT = manifest.ROOT


def edits(src):
    """{kind: [mutated line, ...]} of every mutant of src."""
    out = {}
    for m in mutate.mutants(src):
        out.setdefault(m.kind, []).append(m.mutated)
    return out


def body(code):
    """code as the body of a function."""
    return "int f(int a, int b, int *p)\n{\n" + code + "\n}\n"


class Operators(unittest.TestCase):
    def test_relational(self):
        self.assertEqual(edits(body("    return a < b;"))["relational"], ["return a <= b;"])
        self.assertEqual(edits(body("    return a <= b;"))["relational"], ["return a < b;"])
        self.assertEqual(edits(body("    return a > b;"))["relational"], ["return a >= b;"])
        self.assertEqual(edits(body("    return a >= b;"))["relational"], ["return a > b;"])
        self.assertEqual(edits(body("    return a == b;"))["relational"], ["return a != b;"])
        self.assertEqual(edits(body("    return a != b;"))["relational"], ["return a == b;"])

    def test_shifts_and_arrows_are_not_relational(self):
        e = edits("struct s { int x; };\n" + body("    a <<= 1;\n    b = a >> 2;\n    return p[0] + ((struct s *)p)->x;"))
        self.assertNotIn("relational", e)

    def test_logical(self):
        self.assertEqual(edits(body("    return a && b;"))["logical"], ["return a || b;"])
        self.assertEqual(edits(body("    return a || b;"))["logical"], ["return a && b;"])

    def test_arith_binary_only(self):
        self.assertEqual(edits(body("    return a + b;"))["arith"], ["return a - b;"])
        self.assertEqual(edits(body("    return a - (b);"))["arith"], ["return a + (b);"])
        self.assertEqual(edits(body("    return (a) - p[1];"))["arith"], ["return (a) + p[1];"])
        self.assertEqual(edits(body("    return f(a, b, p) + 2;"))["arith"], ["return f(a, b, p) - 2;"])
        # unary signs, casts, ++, --, += and -> are not binary + or -
        e = edits(body("    a++;\n    b--;\n    a += -b;\n    return (int)-a + 0 * (unsigned char)+b;"))
        self.assertEqual(e.get("arith"), ["return (int)-a - 0 * (unsigned char)+b;"])

    def test_literal(self):
        e = edits(body("    return a + 41 + 0x1f + 0XFFu + 7UL;"))
        self.assertEqual(e["literal"], ["return a + 42 + 0x1f + 0XFFu + 7UL;",
                                        "return a + 41 + 0x20 + 0XFFu + 7UL;",
                                        "return a + 41 + 0x1f + 0X100u + 7UL;",
                                        "return a + 41 + 0x1f + 0XFFu + 8UL;"])
        self.assertEqual(edits(body("    return 0x0f;"))["literal"], ["return 0x10;"])

    def test_no_floats_or_octal(self):
        self.assertNotIn("literal", edits("double f(void)\n{\n    return 1.5 + 2e3 + 0755;\n}\n"))

    def test_array_sizes_of_declarations(self):
        e = edits("static int table[16];\nstruct s { char name[8][4]; int *ptrs[3]; };\n"
                  + body("    int buf[4] = {0};\n    buf[2] = 5;\n    return buf[1];"))
        self.assertEqual(e["literal"], ["int buf[4] = {1};", "buf[3] = 5;", "buf[2] = 6;", "return buf[2];"])

    def test_negation_in_return(self):
        self.assertEqual(edits(body("    return !a;"))["negation"], ["return a;"])
        self.assertEqual(edits(body("    return a && !(b & 1);"))["negation"], ["return a && (b & 1);"])
        e = edits(body("    if (!a)\n        b = !b;\n    return a != b;"))
        self.assertNotIn("negation", e)

    def test_statement(self):
        src = body("    int x = a;\n    x = b;\n    p[x] += 2;\n    a++;\n    g(a, p);\n    p->q.r(1);\n"
                   "    h(a,\n      b);\n    if (a)\n        g(b, p);\n    return x;")
        got = [m.original for m in mutate.mutants(src) if m.kind == "statement"]
        self.assertEqual(got, ["x = b;", "p[x] += 2;", "a++;", "g(a, p);", "p->q.r(1);", "g(b, p);"])
        m = next(m for m in mutate.mutants(src) if m.kind == "statement")
        self.assertIn("\n    ;\n", m.text)  # the indentation is kept
        # declarations, returns, file scope and two statements on a line are not
        for line in ("    return g(a);", "    uint32_t v = g(a);", "    struct s *q = p;", "    a = 1; b = 2;",
                     "    foo_t x;", "    T *x = p;"):
            self.assertNotIn("statement", edits(body(line)), line)
        self.assertNotIn("statement", edits("int x = 3;\nint y;\n"))

    def test_comments_strings_and_preprocessor_untouched(self):
        src = ('#include <stdio.h>\n#define MAX(a, b) ((a) > (b) ? (a) : \\\n    (b) + 1)\n'
               '/* a < b && c == 1 */\n'
               'int f(int a)\n{\n'
               '    // a < 2 || a > 3\n'
               '    g("a < b && 1 + 2 == 3", \'<\', "\\"<1");  /* x = 5 - 4 */\n'
               '    return a;\n}\n')
        ms = mutate.mutants(src)
        self.assertEqual([(m.kind, m.line) for m in ms], [("statement", 8)])
        for tok in mutate.tokenize(src):
            self.assertNotIn(tok.line, (1, 2, 3, 4, 7))

    def test_one_site_each_and_numbering(self):
        src = body("    if (a < 1 && b > 2)\n        a = a + b;\n    return !a;")
        ms = mutate.mutants(src)
        self.assertEqual([m.number for m in ms], list(range(1, len(ms) + 1)))
        self.assertEqual([(m.line, m.col) for m in ms], sorted((m.line, m.col) for m in ms))
        self.assertEqual(ms, mutate.mutants(src))  # deterministic
        for m in ms:  # each changes exactly one line of the source
            old, new = src.splitlines(), m.text.splitlines()
            self.assertEqual(len(old), len(new))
            self.assertEqual(sum(a != b for a, b in zip(old, new)), 1, m)
        self.assertEqual([m.kind for m in ms],
                         ["relational", "literal", "logical", "relational", "literal",
                          "statement", "arith", "negation"])

    def test_spread(self):
        items = list(range(1, 11))
        self.assertEqual(mutate.spread(items, 3), [2, 6, 9])
        self.assertEqual(mutate.spread(items, 1), [6])
        self.assertEqual(mutate.spread(items, None), items)
        self.assertEqual(mutate.spread(items, 20), items)
        self.assertEqual(mutate.spread(items, 0), [])
        picked = mutate.spread(list(range(100)), 10)
        self.assertEqual(len(set(picked)), 10)
        self.assertLess(picked[0], 10)
        self.assertGreater(picked[-1], 90)

    def test_max_spreads_over_the_file(self):
        src = "int f(int a)\n{\n" + "".join(f"    a = a + {i};\n" for i in range(30)) + "    return a;\n}\n"
        every = mutate.mutants(src)
        some = mutate.spread(every, 5)
        self.assertEqual(len(some), 5)
        self.assertLess(some[0].line, 10)
        self.assertGreater(some[-1].line, 25)
        self.assertEqual([m.number for m in some], sorted(m.number for m in some))

    def test_table(self):
        m = mutate.mutants(body("    return a < b;"))[0]
        lab = manifest.Lab(9, "lab9-x", "X", ROOT, ["x.c"], [])
        rs = [mutate.Result("x.c", m, "killed", 0.1), mutate.Result("x.c", m, "survived", 0.1),
              mutate.Result("x.c", m, "no-compile", 0.1)]
        text, score = mutate.table(lab, rs, ["x.c"])
        self.assertEqual(score, 0.5)
        self.assertRegex(text, r"x\.c\s+3\s+1\s+1\s+1\s+50\.0%")
        self.assertIn("x.c:3: return a < b; -> return a <= b;", text)

    def test_min_score(self):
        m = mutate.mutants(body("    return a < b;"))[0]
        rs = [mutate.Result("minivmm/core/exitcount.c", m, s, 0.1) for s in ("killed", "killed", "survived")]
        for arg, want in (("0.5", 0), ("70", 1), ("0.7", 1), (None, 0)):
            with mock.patch.object(mutate, "check_lab", return_value=rs), \
                    contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                self.assertEqual(mutate.main(["--lab", "0"] + (["--min-score", arg] if arg else [])), want, arg)


def _can_build():
    if not (ROOT / "solutions").is_dir() or not shutil.which("make") or not shutil.which("gcc"):
        return False
    r = subprocess.run(["pkg-config", "--exists", "check"], capture_output=True)
    return r.returncode == 0


@unittest.skipUnless((ROOT / "solutions").is_dir(), "no solutions/ (student handout)")
@unittest.skipUnless(_can_build(), "no gcc, make or Check")
class Lab0(unittest.TestCase):
    def test_lab0_kills_a_mutant(self):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = mutate.main(["--lab", "0", "--max", "2", "--jobs", "2"])
        self.assertEqual(status, 0, err.getvalue())
        row = re.search(r"^minivmm/core/exitcount\.c\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", out.getvalue(), re.M)
        self.assertIsNotNone(row, out.getvalue())
        mutants, killed = int(row.group(1)), int(row.group(2))
        self.assertEqual(mutants, 2)
        self.assertGreaterEqual(killed, 1, out.getvalue())
        self.assertRegex(err.getvalue(), r"mutate: lab0 exitcount\.c 1/2 ")

    def test_list_and_unknown_lab(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(mutate.main(["--lab", "0", "--list"]), 0)
        self.assertIn("#1 relational: minivmm/core/exitcount.c:", out.getvalue())
        with contextlib.redirect_stderr(io.StringIO()):
            self.assertEqual(mutate.main(["--lab", "99"]), 2)


if __name__ == "__main__":
    unittest.main()
