"""Runs one child process with a timeout and an output cap: a hang or a flood ends that run only."""
import dataclasses
import os
import selectors
import signal
import subprocess
import sys
import time

OUTPUT_CAP = 256 * 1024


@dataclasses.dataclass
class Result:
    status: int | None        # exit status; None if it was stopped at the timeout
    output: str               # what it printed, up to the cap
    dropped: int              # bytes beyond the cap
    seconds: float

    @property
    def timed_out(self):
        return self.status is None


def _kill_group(pid):
    """Kill the process group of pid and every process of its session: a child that moved
    to a process group of its own (Check runs every test so) must not outlive the run."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        entries = [e.name for e in os.scandir("/proc") if e.name.isdigit()]
    except OSError:  # no /proc: the process group is all we can do
        return
    for name in entries:
        try:
            with open(f"/proc/{name}/stat") as f:
                session = int(f.read().rsplit(")", 1)[1].split()[3])
            if session == pid:
                os.kill(int(name), signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass


def run(argv, timeout, cap=OUTPUT_CAP, cwd=None, echo=False, env=None):
    """Run argv with no stdin; stop it (and every process it started) at the timeout."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True,
                            env=None if env is None else {**os.environ, **env})
    kept, dropped = bytearray(), 0
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    timed_out = False
    while True:
        left = timeout - (time.monotonic() - start)
        if left <= 0:
            timed_out = True
            break
        if not sel.select(timeout=min(left, 0.5)):
            continue
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        if echo:
            sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
        room = cap - len(kept)
        kept += chunk[:max(room, 0)]
        dropped += max(len(chunk) - max(room, 0), 0)
    if not timed_out:  # output closed: give the process what is left of its time to end
        try:
            proc.wait(timeout=max(timeout - (time.monotonic() - start), 0.1))
        except subprocess.TimeoutExpired:
            timed_out = True
    _kill_group(proc.pid)  # also ends anything it left behind
    status = proc.wait()
    sel.close()
    proc.stdout.close()
    text = kept.decode("utf-8", "replace").replace("\r\n", "\n")
    return Result(None if timed_out else status, text, dropped, time.monotonic() - start)
