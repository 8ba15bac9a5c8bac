"""The sandbox of one untrusted grading step (Debian's bubblewrap): the bwrap argv that runs a
command with only its grading tree in sight, and whether bwrap can make a sandbox here.

A step is the make of a tree that holds student files, one Check program, or one QEMU run
(see runner.py, which decides when to use it, and docs/instructor/sandbox.rst). Each gets:

- new user, PID, network, IPC, UTS and cgroup namespaces (bwrap --unshare-all): no network
  at all (QEMU's user networking is slirp, userspace, and works without one), no capability,
  and no further user namespace (--disable-userns);
- /usr read-only and the system's /bin, /sbin, /lib* as the host has them (symlinks into
  /usr on a merged-/usr system), the few /etc files that the dynamic linker and Debian's
  alternatives need, a /proc of its own PID namespace, a minimal /dev (null, zero, random...)
  with a small /dev/shm, and a private size-limited /tmp; the rest of the root read-only;
- the grading tree at its own path, read-only but for the step's writable places (the make
  step: the tree's build/; a QEMU run: its pcap and WAV files), and read-only extras a step needs
  (the grader's netserve.py and the Python that runs it, for a network test);
- a cleared environment: PATH, HOME and TMPDIR (both the private /tmp), LANG, and the
  step's own variables;
- limits set by util-linux's prlimit inside the sandbox (Limits): processes (counted in
  the sandbox's own user namespace), file size, address space and CPU seconds;
- the command as the PID namespace's init (--as-pid-1): when it exits the kernel kills every
  process left in the namespace before bwrap returns, so nothing a step starts (a daemon, a
  double fork, a new session) outlives it. --die-with-parent ends it if the grader goes first.
"""
import dataclasses
import functools
import json
import os
import pathlib
import platform
import select
import shutil
import subprocess
import sys
import time

MiB = 1 << 20
GiB = 1 << 30
TMP_SIZE = 256 * MiB        # the private /tmp (a tmpfs: memory)
SHM_SIZE = 16 * MiB         # /dev/shm
PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
# As root (Step): the uid of a step's processes in the sandbox, and the host's uid it is (one
# no account uses, below 65536 so that a container's user namespace maps it too).
SANDBOX_UID = 1000
HOST_UID = 65533
START_TIMEOUT = 10  # seconds for bwrap to make its namespaces
# The host's top-level system folders: on a merged-/usr system symlinks into /usr (made as
# symlinks in the sandbox too), elsewhere folders (bound read-only).
SYSTEM_DIRS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# The /etc files the tools need: the dynamic linker's cache and Debian's alternatives
# (/usr/bin/cc, awk... are symlinks through /etc/alternatives). Nothing else of /etc.
ETC = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives")
# AddressSanitizer (the Check programs are built with -fsanitize=address) reserves its shadow
# and allocator space up front: 20 TiB of address space on x86-64 (measured: VmSize of an
# empty ASan program of Debian 12's GCC is 20 TiB + 41 MiB). A unit test's address-space
# limit is that plus UNIT_MEMORY; elsewhere (another layout) the unit tests get none.
ASAN_RESERVE = {"x86_64": 20 << 40}
UNIT_MEMORY = 4 * GiB
# ASan's own bound on the memory its allocator maps (small allocations come from the space
# reserved above, which the address-space limit cannot see): a test that allocates more dies.
ASAN_OPTIONS = f"mmap_limit_mb={UNIT_MEMORY // MiB}"


@dataclasses.dataclass(frozen=True)
class Limits:
    """prlimit's limits for every process of a step (None: unlimited)."""
    nproc: int = 256                 # processes and threads of the sandbox's user
    fsize: int = 256 * MiB           # the largest file a process may write
    address_space: int | None = 4 * GiB
    cpu: int | None = None           # CPU seconds of each process

    def prlimit(self):
        """The prlimit argv that sets these limits (soft and hard) and runs the command after it."""
        def lim(v):
            return "unlimited" if v is None else str(v)
        return ["prlimit", f"--nproc={self.nproc}", f"--fsize={self.fsize}",
                f"--as={lim(self.address_space)}", f"--cpu={lim(self.cpu)}", "--"]


def limits(kind, timeout):
    """The limits of a step of kind "build", "unit" or "qemu" whose timeout is timeout seconds:
    CPU seconds up to the timeout (each process: a make's compilers each have their own);
    4 GiB of address space for the compilers and QEMU (whose TCG reserves 1 GiB for code
    and the guest's RAM), the ASan reserve plus 4 GiB for a Check program."""
    cpu = int(timeout) + 5
    if kind == "unit":
        reserve = ASAN_RESERVE.get(platform.machine())
        return Limits(address_space=reserve + UNIT_MEMORY if reserve else None, cpu=cpu)
    if kind in ("build", "qemu"):
        return Limits(cpu=cpu)
    raise ValueError(f"unknown kind of step {kind!r}")


def bwrap():
    """The bwrap program, or None if it is not installed."""
    return shutil.which("bwrap")


def as_root():
    """Whether the grader runs as root: then a step's processes run as SANDBOX_UID (see Step)."""
    return os.geteuid() == 0


def _system(mounts, made):
    """bwrap arguments for the read-only system: /usr, SYSTEM_DIRS and ETC as the host has them."""
    out = ["--ro-bind", "/usr", "/usr"]
    for d in SYSTEM_DIRS:
        if os.path.islink(d):
            out += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            out += ["--ro-bind", d, d]
    out += _folders(ETC, made, mounts)
    for f in ETC:
        out += ["--ro-bind-try", f, f]
    return out


def python_dirs():
    """The folders of the running Python outside /usr (a pyenv's, a venv and its base), for
    a step that runs the grader's Python (a network test's netserve.py, by sys.executable)."""
    found = set()
    for d in (sys.prefix, sys.base_prefix, pathlib.Path(sys.executable or "/usr/bin/python3").resolve().parent.parent):
        p = pathlib.Path(d).resolve()
        if p.is_dir() and p != pathlib.Path("/") and not p.is_relative_to("/usr"):
            found.add(str(p))
    return sorted(found)


def _folders(places, made, mounts):
    """bwrap arguments that make the missing folders above each of places as 0755 (bwrap
    would make them 0700, which SANDBOX_UID cannot pass). made: the folders made so far
    (updated); mounts: the places bound so far, whose insides exist already."""
    out = []
    for place in places:
        for d in reversed(pathlib.PurePosixPath(place).parents):
            if str(d) in made or any(d.is_relative_to(m) for m in mounts):
                continue
            out += ["--perms", "0755", "--dir", str(d)]
            made.add(str(d))
    return out


def command(argv, tree=None, *, writable=(), readable=(), cwd=None, env=None, limits=None, userns=None):
    """The bwrap argv that runs argv in a sandbox: tree (a grading tree) read-only at its own
    path, the paths in writable (inside tree) writable, those in readable (files or folders
    anywhere) read-only, in cwd (default tree), with only env's variables besides PATH, HOME,
    TMPDIR and LANG, under limits (a Limits). userns: (block fd, info fd) of a Step as root:
    bwrap waits for the grader to write its user namespace's map, and the command runs as
    SANDBOX_UID (setpriv); otherwise the command runs as the grader's user, mapped to itself."""
    tree = str(pathlib.Path(tree).resolve()) if tree is not None else None
    writable = [str(pathlib.Path(p).resolve()) for p in writable]
    readable = [str(pathlib.Path(p).resolve()) for p in readable]
    for p in writable:
        if tree is None or not pathlib.PurePosixPath(p).is_relative_to(tree):
            raise ValueError(f"a sandbox's writable place {p} must be inside its tree")
    out = [bwrap() or "bwrap", "--unshare-all", "--unshare-user"]
    if userns:  # bwrap waits on the first fd until the grader has written the map (Step.started);
        # the command starts as the namespace's root, with its capabilities, for setpriv (below)
        out += ["--userns-block-fd", str(userns[0]), "--info-fd", str(userns[1])]
    else:  # (bwrap refuses --disable-userns with --userns-block-fd)
        out += ["--disable-userns", "--cap-drop", "ALL"]
    made, mounts = {"/", "/tmp"}, ["/usr", "/dev", "/proc", *SYSTEM_DIRS]
    # --as-pid-1: the command is the PID namespace's init, so the kernel has killed every
    # process left in the namespace when bwrap sees it exit (bwrap's own init would report
    # the command's exit first: a daemon outlived the step by a moment, measured 2 in 40)
    out += ["--as-pid-1", "--die-with-parent", "--new-session", *_system(mounts, made),
            "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(SHM_SIZE), "--tmpfs", "/dev/shm",
            "--remount-ro", "/dev", "--perms", "1777", "--size", str(TMP_SIZE), "--tmpfs", "/tmp"]
    if tree is not None:
        out += _folders([tree], made, mounts) + ["--ro-bind", tree, tree]
        mounts.append(tree)
    for p in writable:
        out += ["--bind", p, p]
    out += _folders(readable, made, mounts)
    for p in readable:
        out += ["--ro-bind", p, p]
        mounts.append(p)
    out += ["--remount-ro", "/", "--chdir", str(cwd or tree or "/"), "--clearenv"]
    base = {"PATH": PATH, "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8"}
    for k, v in {**base, **(env or {})}.items():
        out += ["--setenv", k, str(v)]
    out += ["--"]
    if userns:  # from the namespace's root (which bwrap leaves its capabilities) to SANDBOX_UID
        # (a change of uid clears the parent-death signal that --die-with-parent set: set it again)
        out += ["setpriv", f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_UID}", "--clear-groups",
                "--bounding-set=-all", "--inh-caps=-all", "--no-new-privs", "--pdeathsig=KILL", "--"]
    return [*out, *(limits or Limits()).prlimit(), *argv]


def own(paths):
    """Give paths (and all under them) to HOST_UID, so that SANDBOX_UID may read and (where a
    step's binds allow) write them: as root only (otherwise the grader's user owns them)."""
    if not as_root():
        return
    for top in paths:
        top = pathlib.Path(top)
        if not top.exists():
            continue
        os.lchown(top, HOST_UID, HOST_UID)
        if top.is_dir() and not top.is_symlink():
            for folder, dirs, files in os.walk(top):
                for name in dirs + files:
                    os.lchown(os.path.join(folder, name), HOST_UID, HOST_UID)


class Step:
    """One sandboxed step's argv and what starting it takes. As root, the sandbox's user
    namespace maps its root to root (bwrap needs it to bind what it shows) and SANDBOX_UID
    to HOST_UID, and the command runs as SANDBOX_UID: the kernel exempts root from
    RLIMIT_NPROC, so only then does the process limit hold. The grader writes that map
    while bwrap waits (started()). Use: proc.run(s.argv, pass_fds=s.pass_fds,
    started=s.started), then close() (or use it as a context manager)."""

    def __init__(self, argv, tree=None, **kw):
        self._fds = []
        userns = None
        if as_root():
            block_r, self._block_w = os.pipe()
            self._info_r, info_w = os.pipe()
            self._fds = [block_r, self._block_w, self._info_r, info_w]
            userns = (block_r, info_w)
        self.pass_fds = tuple(userns or ())
        self.argv = command(argv, tree, userns=userns, **kw)

    def started(self, popen):
        """bwrap runs: write its namespace's map (as root), then let it go on."""
        if not self._fds:
            return
        for fd in self.pass_fds:  # bwrap's ends: the info pipe then ends when bwrap exits
            os.close(fd)
            self._fds.remove(fd)
        info = b""
        end = time.monotonic() + START_TIMEOUT
        while not info.rstrip().endswith(b"}"):
            if not select.select([self._info_r], [], [], max(end - time.monotonic(), 0))[0]:
                raise OSError(f"bwrap did not start within {START_TIMEOUT} s")
            chunk = os.read(self._info_r, 4096)
            if not chunk:
                return  # bwrap failed before making its namespaces: its message is its output
            info += chunk
        pid = json.loads(info)["child-pid"]
        for what in ("uid_map", "gid_map"):
            with open(f"/proc/{pid}/{what}", "w") as f:
                f.write(f"0 0 1\n{SANDBOX_UID} {HOST_UID} 1\n")
        os.write(self._block_w, b"1")

    def close(self):
        for fd in self._fds:
            os.close(fd)
        self._fds = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@functools.lru_cache(maxsize=1)
def problem():
    """Why no sandbox can be made here (bwrap missing, or it cannot create its namespaces:
    no unprivileged user namespaces, a seccomp profile that forbids them), or None if it
    can. Found once per process, by making one (as a step's) that runs `true`."""
    if not bwrap():
        return "bwrap is not installed (Debian's bubblewrap package: `make deps` installs it)"
    try:
        with Step(["true"]) as s:
            p = subprocess.Popen(s.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, pass_fds=s.pass_fds)
            try:
                s.started(p)
                out, _ = p.communicate(timeout=30)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
    except (OSError, ValueError, subprocess.TimeoutExpired) as e:
        return f"bwrap could not run: {e}"
    if p.returncode != 0:
        said = out.decode("utf-8", "replace").strip().splitlines()
        return "bwrap cannot create a sandbox here: " + (said[-1][:300] if said else f"exit status {p.returncode}")
    return None
