"""Lab manifests (labs/<labN-name>/lab.toml): lab number, title, student files, tests with points and timeouts."""
import dataclasses
import pathlib
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
KINDS = ("unit", "qemu")
# Make targets a test may need built in its tree before it runs (Test.needs).
NEEDS_TARGETS = ("linux",)
FIELD_TYPES = {"case": str, "program": str, "vmm_opts": str, "guest_args": str, "guest": str,
               "stdin": str, "stdin_after": str, "expect_exit": int, "proof": bool, "hidden": bool, "graded": bool,
               "reference_only": bool, "needs": str}


class ManifestError(Exception):
    """A lab.toml that cannot be used; the message names the file and the field."""


@dataclasses.dataclass
class Test:
    name: str
    kind: str                 # "unit": a Check test case; "qemu": tinykernel under minivmm
    points: float
    timeout: float
    lab: "Lab" = None
    case: str = ""            # unit: the Check test case name
    program: str = ""         # qemu: tinykernel program (run=<program>)
    vmm_opts: str = ""        # qemu: extra minivmm options
    guest_args: str = ""      # qemu: extra guest boot arguments
    guest: str = ""           # qemu: guest ELF (default: the tinykernel build)
    stdin: str = ""           # qemu: what the grader types on the guest's console
    stdin_after: str = ""     # qemu: ... once the output shows this (a prompt); else at once
    expect_exit: int = 0      # qemu: the status QEMU must end with
    expect: list = dataclasses.field(default_factory=list)   # substrings the output must contain
    proof: bool = True        # qemu: require the nonce-bound "MVTEST <program> PASS" line
    depends: list = dataclasses.field(default_factory=list)
    hidden: bool = False
    graded: bool = True
    reference_only: bool = False  # integration: needs labs' reference solutions (not in a handout)
    needs: str = ""           # qemu: a make target the guest needs (e.g. "linux"), built in the tree first


@dataclasses.dataclass
class Lab:
    number: int
    name: str                 # folder name, e.g. lab0-setup
    title: str
    path: pathlib.Path
    student_files: list
    tests: list

    @property
    def points(self):
        return sum(t.points for t in self.tests if t.graded)


def _require(table, key, typ, where):
    if key not in table:
        raise ManifestError(f"{where}: missing '{key}'")
    value = table[key]
    if not isinstance(value, typ) or isinstance(value, bool) and typ is not bool:
        raise ManifestError(f"{where}: '{key}' must be {typ.__name__ if isinstance(typ, type) else typ}")
    return value


def _parse_test(raw, where, default_graded=True):
    fields = {f.name for f in dataclasses.fields(Test)} - {"lab"}
    unknown = set(raw) - fields
    if unknown:
        raise ManifestError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    _require(raw, "name", str, where)
    kind = _require(raw, "kind", str, where)
    if kind not in KINDS:
        raise ManifestError(f"{where}: kind '{kind}' is not one of {', '.join(KINDS)}")
    for key, typ in FIELD_TYPES.items():
        if key in raw and (not isinstance(raw[key], typ) or typ is int and isinstance(raw[key], bool)):
            raise ManifestError(f"{where}: '{key}' must be {typ.__name__}")
    for key in ("expect", "depends"):
        if key in raw and not (isinstance(raw[key], list) and all(isinstance(x, str) for x in raw[key])):
            raise ManifestError(f"{where}: '{key}' must be a list of strings")
    t = Test(**{**{"points": 0, "timeout": 30, "graded": default_graded}, **raw})
    if isinstance(t.points, bool) or not isinstance(t.points, (int, float)) or t.points < 0:
        raise ManifestError(f"{where}: points must be a non-negative number")
    if isinstance(t.timeout, bool) or not isinstance(t.timeout, (int, float)) or not 0 < t.timeout <= 600:
        raise ManifestError(f"{where}: timeout must be in (0, 600] seconds")
    if kind == "unit" and not t.case:
        raise ManifestError(f"{where}: a unit test needs 'case' (the Check test case)")
    if kind == "qemu" and not (t.program or t.guest):
        raise ManifestError(f"{where}: a qemu test needs 'program' or 'guest'")
    if t.needs and t.needs not in NEEDS_TARGETS:
        raise ManifestError(f"{where}: needs '{t.needs}' is not one of {', '.join(NEEDS_TARGETS)}")
    if kind == "qemu" and t.proof and not t.program:
        raise ManifestError(f"{where}: proof = true needs a tinykernel 'program'")
    return t


def _check_deps(tests, where):
    names = [t.name for t in tests]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ManifestError(f"{where}: duplicate test name(s) {', '.join(sorted(dup))}")
    for t in tests:
        for d in t.depends:
            if d not in names:
                raise ManifestError(f"{where}: test '{t.name}' depends on unknown test '{d}'")
            if names.index(d) >= names.index(t.name):
                raise ManifestError(f"{where}: test '{t.name}' must come after its parent '{d}'")


def load_tests(path, default_graded=True, check_deps=True):
    """Tests of a test list file (a lab.toml or an integration-test file)."""
    where = str(path)
    try:
        data = tomllib.loads(pathlib.Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ManifestError(f"{where}: {e}") from None
    tests = [_parse_test(raw, f"{where}: test {i + 1}", default_graded)
             for i, raw in enumerate(data.get("tests", []))]
    if check_deps:
        _check_deps(tests, where)
    return data, tests


def load_lab(path):
    path = pathlib.Path(path)
    data, tests = load_tests(path / "lab.toml")
    where = str(path / "lab.toml")
    lab = _require(data, "lab", dict, where)
    number = _require(lab, "number", int, where)
    title = _require(lab, "title", str, where)
    files = _require(lab, "student_files", list, where)
    if not path.name.startswith(f"lab{number}-"):
        raise ManifestError(f"{where}: folder {path.name} does not match lab number {number}")
    for f in files:
        if not isinstance(f, str) or not f.startswith("minivmm/") or ".." in f:
            raise ManifestError(f"{where}: student file '{f}' must be a path under minivmm/")
    hidden_path = path / "hidden.toml"  # instructor-only tests, left out of the student handout
    if hidden_path.is_file():
        _, hidden = load_tests(hidden_path, check_deps=False)  # may depend on lab.toml's tests
        for t in hidden:
            t.hidden = True
        tests += hidden
        _check_deps(tests, f"{where} + hidden.toml")
    result = Lab(number, path.name, title, path, files, tests)
    for t in tests:
        t.lab = result
    return result


def load_all(root=ROOT):
    """Every lab, by number. A student file belongs to exactly one lab."""
    labs = [load_lab(p.parent) for p in sorted(pathlib.Path(root, "labs").glob("lab*-*/lab.toml"))]
    labs.sort(key=lambda lab: lab.number)
    owner = {}
    for lab in labs:
        for f in lab.student_files:
            if f in owner:
                raise ManifestError(f"student file {f} is claimed by {owner[f]} and {lab.name}")
            owner[f] = lab.name
    names = [t.name for lab in labs for t in lab.tests]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ManifestError(f"test names must be unique across labs: {', '.join(dup)}")
    numbers = [lab.number for lab in labs]
    if len(set(numbers)) != len(numbers):
        raise ManifestError("two labs share a number")
    return labs


def find_lab(labs, number):
    for lab in labs:
        if lab.number == number:
            return lab
    raise ManifestError(f"no lab {number}; labs are {', '.join(str(l.number) for l in labs)}")


def main(argv):
    if argv == ["student-files"]:
        print(" ".join(f for lab in load_all() for f in lab.student_files))
        return 0
    print("usage: python3 -m grader.manifest student-files", file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except ManifestError as e:
        print(f"manifest: {e}", file=sys.stderr)
        sys.exit(1)
