"""`make test`: the whole suite. Unit tests, fuzzing, integration tests, lab validity, the grader's own tests,
docs (and their internal links), handout.

Lab validity is the kit's promise to instructors: every graded test of lab N passes
with the reference solution and fails when lab N's files are the skeleton (all other
labs being the reference), so no test passes on a stub and none is impossible."""
import argparse
import json
import os
import re
import subprocess
import sys
import time

from . import grade, manifest, proc, qemu, report, runner, tree

ROOT = manifest.ROOT
# The student handout has no solutions/: there `make test` checks the framework on the
# skeleton build; lab validity, the grader's fixtures and the handout check need the
# reference and are the instructor's.
HANDOUT = not (ROOT / "solutions").is_dir()


class Phase:
    def __init__(self):
        self.results = []   # (name, ok, detail)

    def record(self, name, ok, detail=""):
        self.results.append((name, ok, detail))
        mark = "ok  " if ok else "FAIL"
        print(f"[{mark}] {name}" + (f": {detail}" if detail else ""), flush=True)
        return ok


def banner(title):
    print(f"\n=== {title} ===", flush=True)


def make(*targets, jobs, timeout=900):
    r = proc.run(["make", "-C", str(ROOT), f"-j{jobs}", *targets], timeout, cap=1 << 20)
    return r.status == 0, r.output


def build_repo(ph, jobs):
    banner("build (reference and skeleton)")
    for variant in ("0",) if HANDOUT else ("1", "0"):
        ok, log = make("all", "unit-bins", f"SOLUTIONS={variant}", jobs=jobs)
        if not ph.record(f"build SOLUTIONS={variant}", ok, "" if ok else runner._tail(log, 20)):
            return False
    if not HANDOUT:  # the Linux guest: Debian's kernel and busybox, fetched once (network)
        ok, log = make("linux", jobs=jobs)
        ph.record("build the Linux guest (make linux)", ok, "" if ok else runner._tail(log, 20))
    return True


def unit(ph, jobs):
    banner("framework unit tests (Check)")
    for variant in ("skel",) if HANDOUT else ("sol", "skel"):
        binary = ROOT / "build" / variant / "unit" / "framework"
        r = proc.run([str(binary)], 300, env={"CK_FORK": "yes"})
        summary = [l for l in r.output.splitlines() if "Checks:" in l]
        if r.status != 0:
            print(runner._tail(r.output, 40))
        ph.record(f"framework unit tests on build/{variant}", r.status == 0,
                  summary[-1] if summary else "no Check summary")


FUZZ_SECONDS = 3  # per target, after its seeds: the phase stays well under a minute on two cores


def fuzz(ph, jobs):
    """The libFuzzer targets (minivmm/tests/fuzz/, `make fuzz` for long runs): built with clang
    against the reference; each replays its seed corpus, then fuzzes for a few seconds from the
    seeds alone (two targets at a time). A crash, a sanitizer report or a broken invariant fails
    its check, naming the reproducer in build/fuzz/crashes/."""
    banner(f"fuzzing (libFuzzer: every seed replayed, then {FUZZ_SECONDS} s per target)")
    ok, log = make("fuzz-bins", jobs=jobs)
    if not ph.record("build the fuzz targets (make fuzz-bins)", ok, "" if ok else runner._tail(log, 20)):
        return
    out = ROOT / "build" / "fuzz" / "selftest.json"
    out.unlink(missing_ok=True)
    r = proc.run([sys.executable, "minivmm/tests/fuzz/run.py", "--replay", "--fresh", "--seconds",
                  str(FUZZ_SECONDS), "--jobs", str(min(2, max(1, jobs))), "--json", str(out)], 600, cwd=ROOT)
    if not out.is_file():
        ph.record("fuzz targets", False, runner._tail(r.output, 20))
        return
    for t in json.loads(out.read_text()):
        detail = (f"{t['replayed']} seeds, {t['runs']} runs, cov {t['cov']}" if t["ok"] else
                  f"{t['reason']}" + (f" (reproducer: {t['crash']})" if t["crash"] else ""))
        ph.record(f"fuzz {t['target']}", t["ok"], detail)


def integration(ph, jobs):
    banner("integration tests (tinykernel under the reference minivmm)")
    _, tests = manifest.load_tests(ROOT / "minivmm/tests/integration.toml", default_graded=False)
    if HANDOUT:  # a student handout has no solutions: tests of lab features wait for the labs
        held = [t.name for t in tests if t.reference_only]
        tests = [t for t in tests if not t.reference_only]
        if held:
            print(f"  not run in a handout (they need lab solutions): {', '.join(held)}")
    outcomes = runner.run_tests(tests, ROOT, jobs, variant="skel" if HANDOUT else "sol")
    report.failure_details(outcomes, logs=report.save_logs(outcomes, ROOT / "build/test-logs"))
    for o in outcomes:
        ph.record(f"integration {o.test.name}", o.passed, "" if o.passed else o.reason)
    wrong_mode(ph, jobs)
    device_tree(ph, jobs)
    snapshot_determinism(ph, jobs)
    x86_port(ph, jobs)


# The x86 port's first milestone (issue 16): what guests/x86/ prints under minivmm, whatever it is asked.
X86_COMMON = ["minivmm: x86-64 host, AMD SVM with nested paging",
              "x86guest: hello from a 32-bit guest under minivmm (AMD SVM, nested paging)",
              "x86guest: MV_HC_PUTC works", "x86guest: MV_HC_NOP returned 0",
              "x86guest: CPUID says SVM hidden, hypervisor present"]
# (name, the guest's arguments, minivmm's exit status, what the output holds, a regular expression it matches)
X86_CASES = [
    ("power off with code 0", [], 0, ["minivmm: guest powered off with code 0"],
     r"x86guest: exits so far: \d+ VMMCALL, 2 CPUID; class 13 is -2\r?\n(.|\n)*minivmm: \d+ exits: CPUID 2, VMMCALL \d+"),
    ("power off with code 42", ["exit=42"], 42, ["x86guest: powering off with code 42",
                                                 "minivmm: guest powered off with code 42"],
     r"minivmm: \d+ exits: CPUID 2, VMMCALL \d+\r?\n"),
    ("HLT with interrupts off powers off", ["halt"], 0, ["minivmm: guest halted with interrupts off"],
     r"minivmm: \d+ exits: CPUID 2, HLT 1, VMMCALL \d+"),
    ("a guest #UD is reported, minivmm stops", ["ud2"], 70,
     ["minivmm: unhandled guest exit: class 1 (EXCP)", "the guest took exception 6 (#UD invalid opcode)"],
     r"guest: eip 4010[0-9a-f]{4} "),
    ("isolation: minivmm's memory is not the guest's", ["touch=100000"], 70,
     ["nested page fault at guest-physical 0x100000: outside guest RAM"],
     r"minivmm: \d+ exits: CPUID 2, VMMCALL \d+, NPF 1"),
]


def x86_port(ph, jobs):
    """The x86 (AMD SVM) port's first milestone: `make ARCH=x86` builds minivmm and guests/x86/,
    which boots under it on QEMU's PC (-cpu qemu64,+svm,+npt, TCG); the guest's hypercalls, lab 0's
    exit counts of the x86 classes, its power-off code through isa-debug-exit as minivmm's exit
    status, and what minivmm refuses (a #UD, a nested page fault outside guest RAM)."""
    banner("x86 port (AMD SVM with nested paging: minivmm/arch/x86, guests/x86)")
    ok, log = make("deps", "ARCH=x86", jobs=jobs)  # qemu-system-x86, gcc-multilib: not in ARM's `make deps`
    if not ph.record("x86: make deps ARCH=x86", ok, "" if ok else runner._tail(log, 5)):
        return
    ok, log = make("all", "ARCH=x86", f"SOLUTIONS={0 if HANDOUT else 1}", jobs=jobs)
    if not ph.record("x86: make ARCH=x86 builds minivmm and its guest", ok, "" if ok else runner._tail(log, 20)):
        return
    vmm = ROOT / "build" / "x86" / ("skel" if HANDOUT else "sol") / "minivmm.elf"
    guest = "build/x86/guest/x86guest.elf"
    cases = X86_CASES
    if HANDOUT:  # the skeleton's lab 0 stops the guest at its first MV_HC_EXIT_COUNT
        cases = [("lab 0's skeleton stops the guest", [], 71, ["hc_exit_count() is not implemented yet (lab 0)"],
                  r"minivmm: \d+ exits: CPUID 2, VMMCALL \d+")]
    for name, args, status, expect, pattern in cases:
        r = proc.run(qemu.command(vmm, guest, [], args, arch="x86"), 60, cwd=ROOT)
        got = qemu.exit_status("x86", r.status)
        missing = [e for e in X86_COMMON + expect if e not in r.output]
        ok = got == status and not missing and re.search(pattern, r.output) is not None
        why = (f"status {got} (QEMU's {r.status}), expected {status}" if got != status else
               f"no {missing[0]!r} in the output" if missing else f"nothing matches {pattern!r}")
        ph.record(f"x86: {name}", ok, "" if ok else f"{why}: {runner._tail(r.output, 8)}")


def snapshot_determinism(ph, jobs):
    """A guest restored from a snapshot file at exit N prints what an uninterrupted run prints
    after it, byte for byte under -icount (minivmm/tests/snapdet.py; issue 15)."""
    if HANDOUT:  # its programs need labs 3-5
        return
    r = proc.run([sys.executable, "minivmm/tests/snapdet.py", "--vmm", "build/sol/minivmm.elf"], 300, cwd=ROOT)
    ph.record("integration snapshot determinism (snapdet.py)", r.status == 0,
              "" if r.status == 0 else runner._tail(r.output, 10))


def wrong_mode(ph, jobs):
    """QEMU without virtualization=on starts minivmm in SVC mode: it must say so and stop
    with status 70, not hang touching Hyp registers."""
    variant = "skel" if HANDOUT else "sol"
    argv = [a.replace("virtualization=on,", "") for a in
            qemu.command(ROOT / "build" / variant / "minivmm.elf", "build/guest/tinykernel.elf", arch="arm")]
    r = proc.run(argv, 30, cwd=ROOT)
    ok = r.status == 70 and "not Hyp (0x1a): run QEMU with -M virt,virtualization=on" in r.output
    ph.record("integration wrong-mode (no virtualization=on)", ok,
              "" if ok else f"status {r.status}: {runner._tail(r.output, 5)}")


def device_tree(ph, jobs):
    """The guest's device tree through dtc and back: minivmm writes it (dtb-out=), dtc
    reads it without a warning and compiles its source again, and minivmm takes the
    result (dtb=) for the RAM it describes and refuses it for any other."""
    folder = ROOT / "build" / "test-dt"
    folder.mkdir(parents=True, exist_ok=True)
    vmm = ROOT / "build" / ("skel" if HANDOUT else "sol") / "minivmm.elf"
    dtb, dts, again = folder / "guest.dtb", folder / "guest.dts", folder / "again.dtb"
    for f in (dtb, dts, again):
        f.unlink(missing_ok=True)

    def boot(*opts):
        return proc.run(qemu.command(vmm, "build/guest/tinykernel.elf", list(opts), ["run=hello"], arch="arm"),
                        30, cwd=ROOT)

    r = boot("mem=32", f"dtb-out={dtb.relative_to(ROOT)}")
    ok = dtb.is_file() and f"written to '{dtb.relative_to(ROOT)}'" in r.output
    if not ph.record("device tree: dtb-out= writes the guest's DTB", ok, "" if ok else runner._tail(r.output, 5)):
        return
    r = proc.run(["dtc", "-I", "dtb", "-O", "dts", "-o", str(dts), str(dtb)], 30)
    ok = r.status == 0 and "Warning" not in r.output
    ph.record("device tree: dtc reads it without a warning", ok, "" if ok else runner._tail(r.output, 8))
    r = proc.run(["dtc", "-I", "dts", "-O", "dtb", "-o", str(again), str(dts)], 30)
    # (Its warnings are expected: a decompiled source has numbers where phandle references were.)
    if not ph.record("device tree: dtc compiles its source again", r.status == 0,
                     "" if r.status == 0 else runner._tail(r.output, 5)):
        return
    r = boot("mem=32", f"dtb={again.relative_to(ROOT)}")
    ok = "32 MiB RAM at 0x40000000" in r.output and "cannot load guest" not in r.output
    if not HANDOUT:  # the skeleton's lab files may stop tinykernel; the reference runs it
        ok = ok and r.status == 0 and "hello from tinykernel" in r.output
    ph.record("device tree: dtb= with the RAM it describes boots", ok, "" if ok else runner._tail(r.output, 5))
    r = boot("mem=64", f"dtb={again.relative_to(ROOT)}")
    ok = r.status == 65 and "guest RAM is 0x40000000-0x43ffffff (64 MiB; mem= sets it)" in r.output
    ph.record("device tree: dtb= for other RAM is refused", ok, "" if ok else runner._tail(r.output, 5))
    r = boot(f"dtb={dts.relative_to(ROOT)}")
    ok = r.status == 65 and "is refused: not a device tree" in r.output
    ph.record("device tree: dtb= of a source file is refused", ok, "" if ok else runner._tail(r.output, 5))


def validity(ph, jobs):
    """For every lab: all tests pass on the reference, each graded one fails on the skeleton
    (an ungraded test, such as lab 4's Linux boot, is not run on the skeleton), and all
    its tests pass with the reference for it and the labs before it and the skeletons of
    the labs after it (a later lab's skeleton must not break an earlier lab)."""
    banner("lab validity (every test passes on the reference; every graded one fails on the skeleton)")
    labs = manifest.load_all()
    # One all-reference tree per architecture, then one tree per lab with its skeleton,
    # then one per lab with the skeletons of the later labs of its track.
    tracks = list(dict.fromkeys(lab.arch for lab in labs))
    plans = [("reference", grade.Plan(tree.reference_overlay(labs), [l for l in labs if l.arch == a], labs))
             for a in tracks]
    for lab in labs:
        others = [l for l in labs if l is not lab]
        plans.append(("skeleton", grade.Plan(tree.reference_overlay(others), [lab], labs)))
    for lab in labs:
        later = [l for l in labs if l.arch == lab.arch and labs.index(l) > labs.index(lab)]
        if later:
            done = [l for l in labs if l not in later]
            plans.append(("later skeletons", grade.Plan(tree.reference_overlay(done), [lab], labs)))
    for where, p in plans:
        want_pass = where != "skeleton"
        outcomes = grade.run_plans([p], jobs, honour_deps=False, quiet=True,
                                   select=None if want_pass else (lambda t: t.graded))
        for o in outcomes:
            ok = o.passed == want_pass and o.status != "build failed"
            detail = o.reason if not want_pass else ("" if o.passed else o.reason)
            ph.record(f"lab {o.test.lab.id} {o.test.name} on the {where}", ok,
                      f"{'passed' if o.passed else 'failed'}: {detail}" if not want_pass or not ok else "")
            if want_pass and not o.passed:
                log = report.save_logs([o], ROOT / "build/test-logs").get(o.test.name)
                print(runner._tail(o.output, 20) + f"\n[log: {log}]")


def gdb(ph, jobs):
    """make qemu-gdb + make gdb, unattended: GDB stops in the guest (kmain) and then in
    the hypervisor (handle_hvc, in Hyp mode), with both symbol files loaded."""
    banner("GDB on both worlds")
    variant = "skel" if HANDOUT else "sol"
    port = 20000 + os.getpid() % 20000
    argv = qemu.command(ROOT / "build" / variant / "minivmm.elf", "build/guest/tinykernel.elf",
                        [], ["run=hello"], gdb=False, arch="arm") + ["-gdb", f"tcp:127.0.0.1:{port}", "-S"]
    vm = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        cmds = [f"file build/{variant}/minivmm.elf", "add-symbol-file build/guest/tinykernel.elf",
                f"target remote localhost:{port}", "break kmain", "break handle_hvc", "continue",
                "continue", "info registers cpsr", "kill"]
        r = proc.run(["gdb-multiarch", "-batch", "-q", "-nx"] + [a for c in cmds for a in ("-ex", c)],
                     60, cwd=ROOT)
    finally:
        vm.kill()
        vm.wait()
    hyp = re.search(r"^cpsr\s+0x([0-9a-f]+)", r.output, re.M)
    ok = ("Breakpoint 1, kmain" in r.output and "handle_hvc (v=" in r.output
          and hyp is not None and int(hyp.group(1), 16) & 0x1f == 0x1a)
    ph.record("gdb stops in kmain (guest) then handle_hvc (Hyp mode)", ok,
              "" if ok else runner._tail(r.output, 15))


def grader_tests(ph, jobs):
    banner("grader tests")
    r = proc.run([sys.executable, "-m", "unittest", "discover", "-s", "grader/tests", "-t", "."],
                 900, cwd=ROOT)
    print(runner._tail(r.output, 40))
    ph.record("grader unit and end-to-end tests", r.status == 0)


def docs(ph, jobs):
    banner("docs (Sphinx, warnings are errors)")
    ok, log = make("docs", jobs=jobs)
    ph.record("make docs", ok, "" if ok else runner._tail(log, 20))


def linkcheck(ph, jobs):
    """The docs' internal links: Sphinx's linkcheck builder with http(s) links ignored (no
    network), then every relative link and #anchor of the HTML build (grader/doclinks.py)."""
    banner("docs: internal links (sphinx-build -b linkcheck)")
    r = proc.run([sys.executable, "-m", "grader.doclinks"], 900, cwd=ROOT)
    ph.record("docs internal links (python3 -m grader.doclinks)", r.status == 0,
              runner._tail(r.output, 1 if r.status == 0 else 30))


def format_check(ph, jobs):
    """The C style: every tracked C file under minivmm/, solutions/ and guests/ is as
    clang-format writes it with .clang-format (`make format-check`)."""
    banner("C style (make format-check)")
    r = proc.run([sys.executable, "-m", "grader.format_check"], 300, cwd=ROOT)
    ph.record("make format-check", r.status == 0, runner._tail(r.output, 1 if r.status == 0 else 12))


def grading_tables(ph, jobs):
    """Each handout's grading table is the one grader/tables.py makes from its lab.toml
    (`python3 -m grader.tables --check`; `--update` rewrites them)."""
    banner("grading tables (labs/*/README.rst from labs/*/lab.toml)")
    r = proc.run([sys.executable, "-m", "grader.tables", "--check"], 120, cwd=ROOT)
    ph.record("grading tables match lab.toml (python3 -m grader.tables --check)", r.status == 0,
              runner._tail(r.output, 1 if r.status == 0 else 40))


def samples_check(ph, jobs):
    """Every transcript the handouts and docs show as real output is re-run and compared
    (grader/samples.py: `python3 -m grader.samples`; `--update` rewrites them): one check
    per sample, with a diff for a sample that no longer matches."""
    banner("handout and doc samples (python3 -m grader.samples)")
    from . import samples
    results, problems = samples.check(jobs=jobs)
    for r in results:
        if not r.ok:
            print(r.detail)
        why = r.error.splitlines()[0] if r.error else "differs from a real run (the diff is above)"
        ph.record(f"sample {r.sample.title}", r.ok, "" if r.ok else why)
    ph.record("every block shown as real output has a sample marker", not problems, "; ".join(problems))


def handout(ph, jobs):
    banner("student handout")
    ok, log = make("handout-check", jobs=jobs)
    said = "\n".join(l for l in log.splitlines() if l.startswith("handout-check:"))
    ph.record("make handout-check", ok, said if ok else runner._tail(log, 30))


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m grader.selftest")
    ap.add_argument("--jobs", type=int, default=runner.default_jobs())
    ap.add_argument("--only", help="comma-separated phases: " + ",".join(PHASES))
    a = ap.parse_args(argv)
    start = time.monotonic()
    ph = Phase()
    if not build_repo(ph, a.jobs):
        return 1
    only = a.only.split(",") if a.only else list(PHASES)
    if HANDOUT:
        print("selftest: no solutions/ here (a student handout): lab validity, grader fixtures and "
              "the handout check are skipped; grade your work with `make grade`")
        only = [p for p in only if p in ("unit", "integration", "gdb", "docs", "linkcheck", "tables")]
    for name in only:
        if name not in PHASES:
            print(f"selftest: unknown phase {name!r}; phases: {', '.join(PHASES)}")
            return 2
        fn = PHASES[name]
        fn(ph, a.jobs)
    failed = [r for r in ph.results if not r[1]]
    banner("summary")
    print(f"{len(ph.results) - len(failed)} of {len(ph.results)} checks passed "
          f"in {time.monotonic() - start:.0f} s")
    for name, _, detail in failed:
        print(f"  FAILED {name}: {detail}")
    return 1 if failed else 0


PHASES = {"unit": unit, "fuzz": fuzz, "integration": integration, "gdb": gdb, "validity": validity,
          "grader": grader_tests, "docs": docs,
          "linkcheck": linkcheck, "format": format_check, "tables": grading_tables,
          "samples": samples_check, "handout": handout}

if __name__ == "__main__":
    sys.exit(main())
