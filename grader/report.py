"""Grade reports: a terminal table, Gradescope's results.json and JUnit XML."""
import json
import os
import pathlib
import re
import shutil
import sys
import xml.etree.ElementTree as ET

COLOURS = {"pass": "\033[32m", "fail": "\033[31m", "timeout": "\033[33m",
           "parent failed": "\033[90m", "build failed": "\033[31m", "error": "\033[31m"}
RESET = "\033[0m"
OUTPUT_LIMIT = 8000  # characters of test output kept per test in reports


def _fmt_points(x):
    return f"{x:g}"


def score(outcomes):
    got = sum(o.test.points for o in outcomes if o.passed and o.test.graded)
    total = sum(o.test.points for o in outcomes if o.test.graded)
    return got, total


def phase_line(phases):
    """"time: build 2.1 s, unit tests 0.4 s, QEMU tests 3.0 s": where a grading run's time went."""
    return "time: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items())


LINE_LIMIT = 240  # characters of one line of a test's output or reason on the terminal
# Control characters (carriage return, escape sequences, a newline in a reason) would let a
# test's output draw over the report, a fake "score:" line say: shown escaped instead.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text, limit=LINE_LIMIT):
    """One line of untrusted text for the terminal: control characters escaped, clipped."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text.replace("\n", "\\n"))
    return text if len(text) <= limit else text[:limit] + " [...]"


def table(outcomes, notes=(), stream=None, colour=None, phases=None):
    """Print one row per test: lab, test, status, points, time, reason; then the notes,
    the score and (phases: {phase: seconds}) the time of each phase."""
    stream = stream or sys.stdout
    if colour is None:
        colour = stream.isatty() and os.environ.get("NO_COLOR") is None
    rows = [("lab", "test", "status", "points", "time", "reason")]
    for o in outcomes:
        pts = (f"{_fmt_points(o.test.points if o.passed else 0)}/{_fmt_points(o.test.points)}"
               if o.test.graded else "ungraded")
        rows.append((o.test.lab.id if o.test.lab else "-", o.test.name, o.status, pts,
                     f"{o.seconds:.2f}s", "" if o.passed else printable(o.reason)))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for i, r in enumerate(rows):
        cells = [r[j].ljust(widths[j]) for j in range(5)]
        if i and colour:
            cells[2] = COLOURS.get(r[2], "") + cells[2] + RESET
        print("  ".join(cells + [r[5]]).rstrip(), file=stream)
    for n in notes:
        print(n, file=stream)
    got, total = score(outcomes)
    print(f"score: {_fmt_points(got)}/{_fmt_points(total)}", file=stream)
    if phases:
        print(phase_line(phases), file=stream)


def save_logs(outcomes, folder):
    """Write the kept output (head and tail, see proc.run) of every failed test that ran
    to <folder>/<lab>-<test>.log (and its network capture and its WAV, if it had them and
    they lie elsewhere, to <lab>-<test>.pcap and .wav; the WAV also drawn to <lab>-<test>.png,
    which the log names) and remove the logs and pictures of tests that pass now; returns
    {test name: path of the log}."""
    folder = pathlib.Path(folder)
    saved = {}
    for o in outcomes:
        lab = f"lab{o.test.lab.id}" if o.test.lab else "minivmm"
        path = folder / f"{lab}-{o.test.name}.log"
        if o.passed or not o.output:
            path.unlink(missing_ok=True)  # an old failure's log must not outlive the failure
            path.with_suffix(".png").unlink(missing_ok=True)
            continue
        folder.mkdir(parents=True, exist_ok=True)
        for kind in ("pcap", "wav"):
            _keep_file(getattr(o, kind, None), path.with_suffix("." + kind))
        picture = _picture(o, path)
        path.write_text(f"{o.test.name}: {o.reason}\n{picture}\n{o.output}")
        saved[o.test.name] = path
    return saved


def _picture(o, log):
    """Draw a failed test's WAV (kept next to its log) to <log>.png (grader/wavplot.py, only
    for a failure: matplotlib takes a second to import); the log's line about it, or ""."""
    png = log.with_suffix(".png")
    if not getattr(o, "wav", None) or not pathlib.Path(o.wav).is_file():
        png.unlink(missing_ok=True)  # an older failure's picture is not this one's
        return ""
    try:
        from . import wavplot
        why = wavplot.draw(log.with_suffix(".wav"), png, (getattr(o.test, "expect_wav", None) or {}).get("tone"))
    except Exception as e:  # the picture is a help: the report goes on without it
        why = f"{type(e).__name__}: {e}"
    if why:
        png.unlink(missing_ok=True)
        return f"no picture of the WAV: {printable(why)}\n"
    return f"picture of the WAV: {png}\n"


def picture_of(log):
    """The picture save_logs drew next to a log, or None."""
    png = pathlib.Path(log).with_suffix(".png") if log else None
    return png if png and png.is_file() else None


def _keep_file(src, dest):
    """A graded tree is temporary: a run's capture or WAV is copied next to the log it explains."""
    if src and pathlib.Path(src).is_file() and pathlib.Path(src).resolve() != dest.resolve():
        shutil.copyfile(src, dest)


def failure_details(outcomes, stream=None, lines=15, logs=None):
    """The last lines of output of every failed test that ran (and where its whole log is, and
    the picture of its WAV)."""
    stream = stream or sys.stdout
    logs = logs or {}
    shown = set()
    for o in outcomes:
        if o.passed or not o.output:
            continue
        log = logs.get(o.test.name)
        png = picture_of(log)
        where = f" [log: {log}{f'; picture: {png}' if png else ''}]" if log else ""
        if o.output in shown:  # a build log shared by every test of the tree: once is enough
            print(f"--- {o.test.name}: {printable(o.reason)} (output above){where}", file=stream)
            continue
        shown.add(o.output)
        print(f"--- {o.test.name}: {printable(o.reason)}{where}", file=stream)
        for line in o.output.rstrip().split("\n")[-lines:]:
            print(f"    {printable(line.rstrip(chr(13)))}", file=stream)


# Characters XML 1.0 cannot hold (a console may print NUL bytes or colour escapes).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text):
    return _NOT_XML.sub("\ufffd", text)


def _clip(text):
    return text if len(text) <= OUTPUT_LIMIT else "[...]\n" + text[-OUTPUT_LIMIT:]


def gradescope(outcomes, seconds, notes=(), error=None, phases=None):
    """Gradescope's results.json as a dict; phases ({phase: seconds}) go in its extra_data,
    which Gradescope stores without showing it."""
    got, total = score(outcomes)
    tests = []
    for o in outcomes:
        tests.append({
            "name": f"lab{o.test.lab.id}/{o.test.name}" if o.test.lab else o.test.name,
            "score": o.test.points if o.passed else 0,
            "max_score": o.test.points,
            "status": "passed" if o.passed else "failed",
            "output": o.reason if o.passed else f"{o.reason}\n\n{_clip(o.output)}".rstrip(),
            "visibility": "after_published" if o.test.hidden else "visible",
        })
    out = [*notes] + ([f"grader error: {error}"] if error else [])
    d = {"score": got, "execution_time": round(seconds, 2), "output": "\n".join(out), "tests": tests}
    if phases:
        d["extra_data"] = {"phase_seconds": {k: round(v, 2) for k, v in phases.items()}}
    return d


def write_json(path, outcomes, seconds, notes=(), error=None, phases=None):
    with open(path, "w") as f:
        json.dump(gradescope(outcomes, seconds, notes, error, phases), f, indent=2)
        f.write("\n")


def junit(outcomes, seconds, error=None):
    """JUnit XML (one testsuite per lab) as an ElementTree."""
    root = ET.Element("testsuites", name="minivmm", time=f"{seconds:.2f}")
    suites = {}
    for o in outcomes:
        lab = f"lab{o.test.lab.id}" if o.test.lab else "tests"
        if lab not in suites:
            suites[lab] = ET.SubElement(root, "testsuite", name=lab)
        case = ET.SubElement(suites[lab], "testcase", classname=lab, name=o.test.name,
                             time=f"{o.seconds:.2f}")
        if not o.passed:
            tag = "error" if o.status in ("timeout", "build failed", "error") else "failure"
            el = ET.SubElement(case, tag, message=_xml(o.reason))
            el.text = _xml(_clip(o.output))
    if error:
        s = ET.SubElement(root, "testsuite", name="grader")
        ET.SubElement(ET.SubElement(s, "testcase", classname="grader", name="grader"),
                      "error", message=_xml(error))
    for s in root.iter("testsuite"):
        cases = list(s.iter("testcase"))
        s.set("tests", str(len(cases)))
        s.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
        s.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
    return ET.ElementTree(root)


def write_junit(path, outcomes, seconds, error=None):
    tree = junit(outcomes, seconds, error)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
