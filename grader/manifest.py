"""Lab manifests (labs/lab<id>-<name>/lab.toml): lab id and architecture, title, student files, tests with points and timeouts."""
import dataclasses
import pathlib
import re
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
KINDS = ("unit", "qemu")
# The architectures a lab may name, each one track of labs, in the order labs are listed
# (ARM's first). Only those with a port can be built and run (minivmm/arch/<arch>/arch.mk,
# grader/qemu.py's MACHINES); x86 labs may be written before the port is.
ARCHES = ("arm", "x86")
# A lab id: lower-case letters (a track's prefix, none for ARM) then the lab's number in
# its track, without leading zeros: "0", "4", "x1". Ids are unique across all tracks.
LAB_ID = re.compile(r"([a-z]*)(0|[1-9][0-9]*)")
LAB_FIELDS = ("number", "id", "arch", "title", "student_files")
# Make targets a test may need built in its tree before it runs (Test.needs).
NEEDS_TARGETS = ("linux",)
FIELD_TYPES = {"case": str, "program": str, "vmm_opts": str, "guest_args": str, "guest": str,
               "stdin": str, "stdin_after": str, "what": str, "expect_exit": int, "proof": bool, "hidden": bool, "graded": bool,
               "reference_only": bool, "needs": str, "net": str, "audio": bool}
# A test's network (Test.net): "" none (QEMU's -nic none), "user" an isolated user network
# with the grader's TFTP and HTTP servers and per-run files (grader/netfix.py, grader/qemu.py).
NET_MODES = ("", "user")


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
    #   ({nonce}: the run's nonce; {sha256:NAME}: a net test's fixture file's sum, see grader/netfix.py)
    proof: bool = True        # qemu: require the key-proved "MVTEST <program> PASS" line (proofkey.py)
    depends: list = dataclasses.field(default_factory=list)
    hidden: bool = False
    graded: bool = True
    reference_only: bool = False  # integration: needs labs' reference solutions (not in a handout)
    needs: str = ""           # qemu: a make target the guest needs (e.g. "linux"), built in the tree first
    net: str = ""             # qemu: the network, one of NET_MODES ("": none)
    expect_pcap: list = dataclasses.field(default_factory=list)  # qemu, net: bytes some frame of the pcap holds
    audio: bool = False       # qemu: minivmm writes the HDA output stream to a WAV (audio=<file>)
    expect_wav: dict = dataclasses.field(default_factory=dict)  # qemu, audio: what the WAV must be (grader/wavcheck.py)
    what: str = ""            # what it checks, for the handout's grading table (inline reStructuredText)


@dataclasses.dataclass
class Lab:
    number: int               # the lab's place in its track (the digits of its id)
    name: str                 # folder name, e.g. lab0-setup
    title: str
    path: pathlib.Path
    student_files: list
    tests: list
    arch: str = "arm"         # its track: the architecture its build and QEMU tests use
    id: str = ""              # unique across tracks: "0" (ARM, the number), "x1"; default str(number)

    def __post_init__(self):
        if not self.id:
            self.id = str(self.number)

    @property
    def order(self):
        """Sort key: ARM's labs first, each track by number."""
        return (ARCHES.index(self.arch) if self.arch in ARCHES else len(ARCHES), self.number, self.id)

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


def _check_what(what, where):
    """A test's 'what': one paragraph of inline reStructuredText for a table cell (grader/tables.py
    writes the test case or program before it and the expected text after it)."""
    if not what.strip():
        raise ManifestError(f"{where}: 'what' is empty (say what the test checks, or leave it out)")
    if any(not line.strip() for line in what.strip().splitlines()):
        raise ManifestError(f"{where}: 'what' must be one paragraph (no blank line)")
    if re.match(r"\s*([-*+]\s|[0-9]+\.\s|#|\||=|\.\.\s)", what):
        raise ManifestError(f"{where}: 'what' must be a sentence, not a list, heading or directive")
    if "expected text" in what.lower():
        raise ManifestError(f"{where}: 'what' must not list the expected text: give it in 'expect', "
                            "and the grading table says it")


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
    for key in ("expect", "depends", "expect_pcap"):
        if key in raw and not (isinstance(raw[key], list) and all(isinstance(x, str) for x in raw[key])):
            raise ManifestError(f"{where}: '{key}' must be a list of strings")
    if "what" in raw:
        _check_what(raw["what"], where)
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
    _check_net(t, where)
    _check_audio(t, where)
    return t


def _check_net(t, where):
    """A test's network fields: net a known mode, of a QEMU test; expect_pcap and
    {sha256:NAME} only with a network, NAME a file of the fixture."""
    if t.net not in NET_MODES:
        raise ManifestError(f"{where}: net '{t.net}' is not one of " + ", ".join(repr(n) for n in NET_MODES))
    if t.net and t.kind != "qemu":
        raise ManifestError(f"{where}: 'net' is for qemu tests")
    if t.expect_pcap and not t.net:
        raise ManifestError(f"{where}: 'expect_pcap' needs a network (net = \"user\")")
    if any("{" in s for s in t.expect + t.expect_pcap):
        from . import netfix  # only here: `make` reads the manifests on every run
        for s in t.expect + t.expect_pcap:
            why = netfix.placeholder_problem(s, t.net)
            if why:
                raise ManifestError(f"{where}: {why}")


def _check_audio(t, where):
    """A test's audio fields: audio for a QEMU test; expect_wav a table grader/wavcheck.py
    accepts, with audio."""
    if t.audio and t.kind != "qemu":
        raise ManifestError(f"{where}: 'audio' is for qemu tests")
    if not isinstance(t.expect_wav, dict):
        raise ManifestError(f"{where}: 'expect_wav' must be a table")
    if t.expect_wav:
        if not t.audio:
            raise ManifestError(f"{where}: 'expect_wav' needs the stream's WAV (audio = true)")
        from . import wavcheck  # only here, as netfix above
        why = wavcheck.expect_problem(t.expect_wav)
        if why:
            raise ManifestError(f"{where}: {why}")


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


def _lab_id(lab, where):
    """(id, number) of a [lab] table: ARM labs give 'number' (an integer, the id is its
    digits), labs of other tracks 'id' (a string such as "x1"), never both."""
    if "number" in lab and "id" in lab:
        raise ManifestError(f"{where}: give the lab's 'number' or its 'id', not both")
    if "id" in lab:
        lab_id = _require(lab, "id", str, where)
        m = LAB_ID.fullmatch(lab_id)
        if not m:
            raise ManifestError(f"{where}: 'id' {lab_id!r} must be lower-case letters then the lab's "
                                'number in its track, without leading zeros (e.g. "x1")')
        return lab_id, int(m.group(2))
    if "number" not in lab:
        raise ManifestError(f"{where}: missing 'number' (an integer; a lab of another track than "
                            'ARM may give an \'id\' such as "x1" instead)')
    number = _require(lab, "number", int, where)
    if number < 0:
        raise ManifestError(f"{where}: 'number' must be >= 0")
    return str(number), number


def load_lab(path):
    path = pathlib.Path(path)
    data, tests = load_tests(path / "lab.toml")
    where = str(path / "lab.toml")
    lab = _require(data, "lab", dict, where)
    unknown = set(lab) - set(LAB_FIELDS)
    if unknown:
        raise ManifestError(f"{where}: unknown field(s) {', '.join(sorted(unknown))} in [lab]")
    lab_id, number = _lab_id(lab, where)
    arch = _require(lab, "arch", str, where)
    if arch not in ARCHES:
        raise ManifestError(f"{where}: arch '{arch}' is not one of {', '.join(ARCHES)}")
    title = _require(lab, "title", str, where)
    files = _require(lab, "student_files", list, where)
    if not path.name.startswith(f"lab{lab_id}-"):
        which = f"number {number}" if "number" in lab else f"id {lab_id}"
        raise ManifestError(f"{where}: folder {path.name} does not match lab {which} "
                            f"(name it lab{lab_id}-<name>)")
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
    result = Lab(number, path.name, title, path, files, tests, arch, lab_id)
    for t in tests:
        t.lab = result
    return result


def load_all(root=ROOT):
    """Every lab: ARM's by number, then each other track's. Lab ids are unique across
    tracks, and a student file belongs to exactly one lab."""
    labs = [load_lab(p.parent) for p in sorted(pathlib.Path(root, "labs").glob("lab*-*/lab.toml"))]
    labs.sort(key=lambda lab: lab.order)
    seen = {}
    for lab in labs:
        other = seen.setdefault(lab.id, lab)
        if other is not lab:
            raise ManifestError(f"labs {other.name} ({other.arch}) and {lab.name} ({lab.arch}) share "
                                f"the lab id '{lab.id}': ids (an ARM lab's number, another track's "
                                'id such as "x1") must be unique across all tracks')
    for a, b in zip(labs, labs[1:]):
        if a.arch == b.arch and a.number == b.number:
            raise ManifestError(f"labs {a.name} and {b.name} are both number {a.number} of the "
                                f"{a.arch} track")
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
    return labs


def find_lab(labs, lab_id):
    """The lab whose id is lab_id: "0", "x1" (an integer n means "n"; "03" and "X1" are
    read as "3" and "x1")."""
    want = str(lab_id).strip()
    m = re.fullmatch(r"([A-Za-z]*)([0-9]+)", want)
    if m:
        want = m.group(1).lower() + str(int(m.group(2)))
    for lab in labs:
        if lab.id == want:
            return lab
    known = f"labs are {', '.join(l.id for l in labs)}" if labs else "there are no labs"
    raise ManifestError(f"no lab {lab_id}; {known}")


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
