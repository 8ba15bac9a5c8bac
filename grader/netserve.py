"""A tiny HTTP/1.0 responder for one connection on stdin/stdout: the web server of a network test.

QEMU's user networking runs it for each TCP connection the guest opens to the test's HTTP
address (`guestfwd=tcp:10.0.2.100:80-cmd:...`, see grader/qemu.py net_args), with the
connection as its stdin, stdout and stderr. It answers GET and HEAD for the plain files of
one folder (the fixture's http/, see grader/netfix.py), by name only: no subfolders, no
dot files; a query string is ignored (a guest may put the run's nonce there, for the pcap).
It never writes anything but its one response, exits once that is sent, and gives up after
TIMEOUT seconds (it may run in a session of its own, so nothing else ends it).

Standard library only and no package imports: QEMU starts it as a script, from any folder.

python3 grader/netserve.py FOLDER"""
import os
import pathlib
import re
import signal
import sys

TIMEOUT = 60          # seconds for the whole connection
MAX_REQUEST = 8192    # bytes of request line and headers
CHUNK = 64 * 1024


def _read_request(fd):
    """The request head (up to the blank line), or None if the peer closed or sent too much."""
    data = b""
    while b"\r\n\r\n" not in data and b"\n\n" not in data:
        if len(data) > MAX_REQUEST:
            return None
        chunk = os.read(fd, 4096)
        if not chunk:
            return data or None
        data += chunk
    return data


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _status(code, reason, body=b""):
    text = body or f"{code} {reason}\n".encode()
    return (f"HTTP/1.0 {code} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {len(text)}\r\n"
            "Connection: close\r\n\r\n").encode() + text


def respond(folder, head):
    """(header bytes, file path or None) answering one request head."""
    line = head.split(b"\n", 1)[0].strip().decode("latin-1")
    m = re.fullmatch(r"([A-Z]+) (\S+) HTTP/1\.[01]", line)
    if not m:
        return _status(400, "Bad Request"), None
    method, target = m.groups()
    if method not in ("GET", "HEAD"):
        return _status(405, "Method Not Allowed"), None
    path = re.sub(r"^http://[^/]*", "", target.split("?", 1)[0])  # an absolute URI: its path
    name = path[1:] if path.startswith("/") else ""
    file = pathlib.Path(folder) / name
    if not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*", name) or not file.is_file():
        return _status(404, "Not Found"), None
    size = file.stat().st_size
    head = (f"HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {size}\r\n"
            "Connection: close\r\n\r\n").encode()
    return head, (file if method == "GET" else None)


def serve(folder, fd_in=0, fd_out=1):
    head = _read_request(fd_in)
    if head is None:
        _write_all(fd_out, _status(400, "Bad Request"))
        return
    header, path = respond(folder, head)
    _write_all(fd_out, header)
    if path is not None:
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                _write_all(fd_out, chunk)


def main(argv):
    # stderr is the guest's connection too: a traceback must not go there
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    signal.signal(signal.SIGALRM, lambda *_: os._exit(1))
    signal.alarm(TIMEOUT)
    if len(argv) != 1 or not os.path.isdir(argv[0]):
        return 2
    try:
        serve(argv[0])
    except OSError:  # the guest closed the connection
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
