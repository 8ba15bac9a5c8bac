"""Runs one child process with a timeout and an output cap: a hang or a flood ends that run only."""
import dataclasses
import os
import selectors
import signal
import subprocess
import sys
import threading
import time

OUTPUT_CAP = 256 * 1024
_live = set()   # process ids of the runs under way, for kill_all()
_live_lock = threading.Lock()
_stopped = False  # set by kill_all(): a run that starts afterwards is killed at once


@dataclasses.dataclass
class Result:
    status: int | None        # exit status; None if it was stopped at the timeout
    output: str               # what it printed, up to the cap
    dropped: int              # bytes beyond the cap
    seconds: float
    banner_at: float | None = None  # seconds until the output first showed `banner`, if asked

    @property
    def timed_out(self):
        return self.status is None


def _related(pid):
    """(pid's children, the other processes of pid's session), from /proc ([] without it)."""
    children, session = [], []
    try:
        entries = [e.name for e in os.scandir("/proc") if e.name.isdigit()]
    except OSError:
        return children, session
    for name in entries:
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                children.append(int(name))
            elif int(fields[3]) == pid:
                session.append(int(name))
        except (OSError, ValueError, IndexError):
            pass
    return children, session


def _kill(pids):
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass


def _kill_group(pid):
    """Kill pid's children, its process group and every process of its session: a child
    that moved to a process group of its own (Check runs every test so) must not outlive
    the run. The children go first, and pid gets a moment to reap them: a sandbox's
    command (grader/sandbox.py) is in a session of its own, the init of its PID namespace
    (killing it kills all in there), and bwrap reaps it, so that no zombie is left behind."""
    children, _ = _related(pid)
    _kill(children)
    if children:
        _exited(pid, 0.5)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    _kill(_related(pid)[1])


def _echo(chunk):
    """Copy output to our stdout; False once the reader has gone (`make run | head`)."""
    try:
        sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
        return True
    except BrokenPipeError:
        return False


def _exited(pid, timeout):
    """Wait up to timeout for pid to exit, without reaping it: while it is a zombie its
    process group id cannot be given to another run, so _kill_group hits only ours."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is not None:
                return True
        except ChildProcessError:  # reaped already (kill_all from another thread)
            return True
        time.sleep(0.01)
    return False


class Stopped(Exception):
    """A run asked for after kill_all(): the grader is stopping (Ctrl-C)."""


def kill_all():
    """End every run under way (and what it started), and any run that a thread starts
    from now on: for Ctrl-C, while other threads may be about to start a QEMU."""
    global _stopped
    with _live_lock:
        _stopped = True
        pids = list(_live)
    for pid in pids:
        _kill_group(pid)


def _register(pid):
    """Note a new run for kill_all(); after kill_all() the run is killed instead (the
    flag and the set share one lock, so no run slips between the two)."""
    with _live_lock:
        if not _stopped:
            _live.add(pid)
            return True
    _kill_group(pid)
    return False


def _keep(head, tail, dropped, chunk, cap):
    """Keep the first quarter of the cap and the last three quarters of the output:
    the verdict (a summary, a result line, a panic) is at the end of a long run."""
    room = cap // 4 - len(head)
    if room > 0:
        head += chunk[:room]
        chunk = chunk[room:]
    tail += chunk
    keep = cap - cap // 4
    if len(tail) > keep:
        dropped += len(tail) - keep
        del tail[:len(tail) - keep]
    return head, tail, dropped


def _feed(proc, data):
    """Write data to the process's stdin, then close it; a process that exits first just misses it."""
    try:
        proc.stdin.write(data)
        proc.stdin.close()
    except OSError:
        pass


class _Spotter:
    """Notices when the output first contains needle, even split across reads."""

    def __init__(self, needle):
        self.needle, self.tail, self.found = needle, b"", False

    def feed(self, chunk):
        """True on the read in which needle first appears."""
        if self.found or not self.needle:
            return False
        self.tail = (self.tail + chunk)[-(len(self.needle) + len(chunk)):]
        self.found = self.needle in self.tail
        return self.found


def run(argv, timeout, cap=OUTPUT_CAP, cwd=None, echo=False, env=None, stdin=None, stdin_after=None,
        banner=None, on_output=None, pass_fds=(), started=None):
    """Run argv with stdin bytes (or none), typed at once or, with stdin_after, once
    the output shows those bytes (a prompt); stop it (and every process it started)
    at the timeout. With banner, note when the output first shows it (benchmarks);
    on_output(chunk, seconds) sees each read as it arrives (make bench's phase markers).
    pass_fds: file descriptors the process inherits; started(popen) runs once it exists
    (a sandbox's start, grader/sandbox.py: the process is killed if it raises)."""
    if _stopped:
        raise Stopped(f"not run (the grader is stopping): {argv[0]}")
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True,
                            env=None if env is None else {**os.environ, **env}, pass_fds=pass_fds)
    if not _register(proc.pid):
        proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe:
                pipe.close()
        raise Stopped(f"not run (the grader is stopping): {argv[0]}")
    feeder = None
    if stdin is not None:  # from a thread: a full pipe must not stop the output being read
        feeder = threading.Thread(target=_feed, args=(proc, stdin), daemon=True)
        if not stdin_after:
            feeder.start()
            feeder = None
    prompt, shown, banner_at = _Spotter(stdin_after), _Spotter(banner), None
    head, tail, dropped = bytearray(), bytearray(), 0
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    timed_out = False
    try:
        if started:
            started(proc)
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
                echo = _echo(chunk)
            if shown.feed(chunk):
                banner_at = time.monotonic() - start
            if on_output:
                on_output(chunk, time.monotonic() - start)
            if feeder and prompt.feed(chunk):
                feeder.start()
                feeder = None
            head, tail, dropped = _keep(head, tail, dropped, chunk, cap)
        if not timed_out:  # output closed: give the process what is left of its time to end
            timed_out = not _exited(proc.pid, max(timeout - (time.monotonic() - start), 0.1))
    finally:  # whatever happened here (Ctrl-C included), nothing it started outlives the run
        _kill_group(proc.pid)  # the pid is not reaped yet, so it is still ours
        status = proc.wait()
    with _live_lock:
        _live.discard(proc.pid)
    sel.close()
    proc.stdout.close()
    kept = head + (f"\n[... {dropped} bytes of output dropped ...]\n".encode() if dropped else b"") + tail
    text = kept.decode("utf-8", "replace").replace("\r\n", "\n")
    return Result(None if timed_out else status, text, dropped, time.monotonic() - start, banner_at)
