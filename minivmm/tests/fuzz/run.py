"""Runs minivmm's libFuzzer targets (`make fuzz`, and the `fuzz` phase of `make test`).

Each target build/fuzz/<target> (built by `make fuzz-bins`) runs from its seed
corpus minivmm/tests/fuzz/corpus/<target>, which it only reads: the inputs it
finds new go to build/fuzz/corpus/<target> (--fresh: a scratch folder, emptied
first), a crash to build/fuzz/crashes/<target>/, its output to
build/fuzz/logs/<target>.log. --replay first runs every seed once (-runs=0).
One line per target: executions, executions per second, coverage (libFuzzer's
cov: edges and ft: features), corpus size, and the reproducer of a finding.
Exit status 1 if any target crashed or could not run. Python standard library only.
"""
import argparse
import concurrent.futures
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[3]
FUZZ = pathlib.Path("build/fuzz")
SEEDS = pathlib.Path("minivmm/tests/fuzz/corpus")
HERE = pathlib.Path("minivmm/tests/fuzz")
# UBSan aborts anyway (-fno-sanitize-recover); these give its reports a stack.
ENV = {"UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}
INPUT_TIMEOUT = 10  # seconds for one input: more is a hang, reported as a finding (timeout-<sha1>)


def targets():
    return sorted(p.stem for p in (ROOT / HERE).glob("*.c"))


def _last(pattern, text, default=None):
    found = re.findall(pattern, text, re.M)
    return found[-1] if found else default


def figures(log):
    """What libFuzzer said last: executions, exec/s, cov, ft, corpus (units/size)."""
    status = re.findall(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/(\S+)", log, re.M)
    f = {"runs": None, "exec_s": None, "cov": None, "ft": None, "corpus": None}
    if status:
        runs, cov, ft, units, size = status[-1]
        f.update(runs=int(runs), cov=int(cov), ft=int(ft), corpus=f"{units}/{size}")
    runs = _last(r"^stat::number_of_executed_units:\s*(\d+)", log)
    speed = _last(r"^stat::average_exec_per_sec:\s*(\d+)", log)
    if runs is not None:
        f["runs"] = int(runs)
    if speed is not None:
        f["exec_s"] = int(speed)
    return f


def finding(log):
    """(the reproducer libFuzzer wrote, a one-line reason), or (None, None)."""
    path = _last(r"Test unit written to (\S+)", log)
    reason = (_last(r"^==fuzz== (?!.*the end of its console)(.+)$", log)
              or _last(r"^SUMMARY: (.+)$", log)
              or _last(r"^==\d+== ?ERROR: (.+)$", log))
    return path, reason


def libfuzzer(binary, args, log, timeout):
    start = time.monotonic()
    try:
        r = subprocess.run([str(binary), *args], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout, env={**os.environ, **ENV})
        status, out = r.returncode, r.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        status, out = None, (e.stdout or b"").decode(errors="replace") + "\n(run.py: stopped at its time limit)\n"
    with open(log, "a") as f:
        f.write(f"$ {binary} {' '.join(args)}\n{out}\n")
    return status, out, time.monotonic() - start


def run_one(target, seconds, replay, fresh):
    binary = ROOT / FUZZ / target
    seeds = SEEDS / target
    corpus = FUZZ / ("selftest-corpus" if fresh else "corpus") / target
    crashes = FUZZ / "crashes" / target
    log = ROOT / FUZZ / "logs" / f"{target}.log"
    for d in (corpus, crashes, log.parent):
        if d == corpus and fresh:
            shutil.rmtree(ROOT / d, ignore_errors=True)
        (ROOT / d).mkdir(parents=True, exist_ok=True)
    log.write_text("")
    res = {"target": target, "ok": False, "replayed": None, "crash": None, "reason": None, "seconds": 0.0}
    if not binary.is_file():
        res["reason"] = f"{binary.relative_to(ROOT)} is not built (make fuzz-bins)"
        return res
    if not (ROOT / seeds).is_dir() or not any((ROOT / seeds).iterdir()):
        res["reason"] = f"no seed corpus in {seeds}"
        return res
    common = [f"-timeout={INPUT_TIMEOUT}", f"-artifact_prefix={crashes}/", "-print_final_stats=1"]
    dictionary = HERE / f"{target}.dict"
    if (ROOT / dictionary).is_file():
        common.append(f"-dict={dictionary}")
    total = 0.0
    if replay:  # every seed once: none may crash
        status, out, took = libfuzzer(binary, [*common, "-runs=0", str(seeds)], log, 120)
        total += took
        res["replayed"] = len(list((ROOT / seeds).iterdir()))
        if status != 0:
            res["crash"], res["reason"] = finding(out)
            res["reason"] = "a seed fails: " + (res["reason"] or f"exit status {status}")
            res.update(seconds=round(total, 1))
            return res
    args = [*common, f"-max_total_time={seconds}", str(corpus), str(seeds)]
    status, out, took = libfuzzer(binary, args, log, seconds + 120)
    total += took
    res.update(figures(out), seconds=round(total, 1))
    if status == 0:
        res["ok"] = True
    else:
        res["crash"], reason = finding(out)
        res["reason"] = reason or ("no end within its time limit" if status is None else f"exit status {status}")
    return res


def line(r):
    def num(k):
        return "-" if r.get(k) is None else str(r[k])
    head = (f"{r['target']:<9} {num('runs'):>10} runs {num('exec_s'):>7} exec/s  cov {num('cov'):>5}"
            f"  ft {num('ft'):>6}  corpus {num('corpus'):>11}")
    if r["ok"]:
        return f"fuzz: {head}  ok"
    where = f"; reproduce: {r['crash']}" if r["crash"] else ""
    return f"fuzz: {head}  FINDING: {r['reason']}{where}"


def main(argv=None):
    ap = argparse.ArgumentParser(prog="minivmm/tests/fuzz/run.py", description=__doc__.splitlines()[0])
    ap.add_argument("targets", nargs="*", help="targets to run (default: all): " + " ".join(targets()))
    ap.add_argument("--seconds", type=int, default=60, help="fuzzing time per target (default 60)")
    ap.add_argument("--jobs", type=int, default=1, help="targets run at once (default 1)")
    ap.add_argument("--replay", action="store_true", help="first run every seed once (-runs=0)")
    ap.add_argument("--fresh", action="store_true",
                    help="start from the seeds only, in build/fuzz/selftest-corpus (make test)")
    ap.add_argument("--json", help="also write the results to this file")
    a = ap.parse_args(argv)
    names = a.targets or targets()
    unknown = [t for t in names if t not in targets()]
    if unknown:
        ap.error(f"unknown target(s) {' '.join(unknown)}; targets: {' '.join(targets())}")
    print(f"fuzz: {len(names)} target(s), {a.seconds} s each, {a.jobs} at a time"
          f"{' (seeds replayed first)' if a.replay else ''}", flush=True)
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        jobs = {pool.submit(run_one, t, a.seconds, a.replay, a.fresh): t for t in names}
        for done in concurrent.futures.as_completed(jobs):
            r = done.result()
            results[r["target"]] = r
            print(line(r), flush=True)
    ordered = [results[t] for t in names]
    if a.json:
        pathlib.Path(a.json).write_text(json.dumps(ordered, indent=1) + "\n")
    bad = [r for r in ordered if not r["ok"]]
    if bad:
        print(f"fuzz: {len(bad)} of {len(ordered)} target(s) with findings; logs in {FUZZ}/logs/; "
              f"a reproducer runs alone with build/fuzz/<target> <file> "
              f"(-minimize_crash=1 -runs=20000 shrinks it)")
        return 1
    print(f"fuzz: no findings; new inputs in {FUZZ}/{'selftest-corpus' if a.fresh else 'corpus'}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
