"""`python3 -m grader.doclinks`: the documentation's internal links, checked offline.

Two checks, the selftest's `linkcheck` phase:

1. Sphinx's linkcheck builder (`sphinx-build -b linkcheck`, warnings are errors).
   docs/conf.py ignores every http(s) link (`linkcheck_ignore`), so nothing is
   fetched; a link to a local file must name one that exists, and a reference
   Sphinx cannot resolve (a :doc:, a :ref: or a `Section`_ that names nothing)
   is a warning, hence a failure.
2. The HTML Sphinx writes: every relative link (href, src, an <object>'s data)
   must name a file of the build and, with a #fragment, an id in that file.
   Sphinx's linkcheck leaves the anchors of internal links unchecked; this is
   where a link to a section that was renamed shows.

Exit status: 0 every internal link resolves, 1 some do not, 2 Sphinx did not run."""
import argparse
import html.parser
import json
import pathlib
import shutil
import subprocess
import sys
import urllib.parse

from .manifest import ROOT

DOCS = ROOT / "docs"
OUT = ROOT / "build" / "docs" / "linkcheck"
TIMEOUT = 600
LINK_ATTRS = {"a": "href", "link": "href", "img": "src", "script": "src", "object": "data",
              "iframe": "src", "source": "src"}


class _Page(html.parser.HTMLParser):
    """The ids an HTML page defines and the links it makes (with their line numbers)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if a.get(key):
                self.ids.add(a[key])
        url = a.get(LINK_ATTRS.get(tag, ""))
        if url:
            self.links.append((url, self.getpos()[0]))


def _internal(url):
    """The (path, fragment) of a link inside the site, or None for an external one."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    return urllib.parse.unquote(parts.path), urllib.parse.unquote(parts.fragment)


def check_html(root):
    """Problems with the internal links of the HTML under root: a list of strings."""
    pages = {}
    for f in sorted(root.rglob("*.html")):
        p = _Page()
        p.feed(f.read_text(encoding="utf-8", errors="replace"))
        pages[f.resolve()] = p
    problems = []
    for f, page in pages.items():
        for url, line in page.links:
            target = _internal(url)
            if target is None:
                continue
            path, fragment = target
            dest = (f.parent / path).resolve() if path else f
            if dest.is_dir():
                dest = dest / "index.html"
            where = f"{f.relative_to(root.resolve())}:{line}"
            if not dest.exists():
                problems.append(f"{where}: {url}: no such file in the build")
            elif fragment and dest.suffix == ".html" and fragment not in pages[dest].ids:
                problems.append(f"{where}: {url}: no anchor #{fragment} in {dest.name}")
    return problems


def sphinx(builder, srcdir, outdir):
    """Run sphinx-build with warnings as errors; (status, output). status None: not run."""
    exe = shutil.which("sphinx-build")
    if not exe:
        return None, "sphinx-build not found (Debian: python3-sphinx; `make deps` installs it)"
    cmd = [exe, "-q", "-W", "--keep-going", "-b", builder, str(srcdir), str(outdir)]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return 1, f"sphinx-build -b {builder}: no result after {TIMEOUT} s"
    return r.returncode, (r.stdout + r.stderr).strip()


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m grader.doclinks", description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=pathlib.Path, default=DOCS, help="the Sphinx sources (default: %(default)s)")
    ap.add_argument("--out", type=pathlib.Path, default=OUT, help="where Sphinx writes (default: %(default)s)")
    a = ap.parse_args(argv)
    problems = []

    status, output = sphinx("linkcheck", a.docs, a.out)
    if status is None:
        print(f"doclinks: {output}")
        return 2
    report = a.out / "output.json"
    links = [json.loads(l) for l in report.read_text().splitlines()] if report.exists() else []
    for l in links:
        if l["status"] == "broken":
            problems.append(f"{l['filename']}:{l['lineno']}: {l['uri']}: broken {l['info']}".rstrip())
    if status != 0:
        problems.append("sphinx-build -b linkcheck failed:\n" + (output or f"exit status {status}"))

    html_out = a.out / "html"
    status, output = sphinx("html", a.docs, html_out)
    if status != 0:
        problems.append("sphinx-build -b html failed:\n" + (output or f"exit status {status}"))
    pages = list(html_out.rglob("*.html"))
    if pages:
        problems += check_html(html_out)

    for p in problems:
        print(f"doclinks: {p}")
    counts = {}
    for l in links:
        counts[l["status"]] = counts.get(l["status"], 0) + 1
    said = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"
    print(f"doclinks: {len(pages)} pages; Sphinx linkcheck: {said} (http(s) ignored); "
          f"{len(problems)} problem{'s' if len(problems) != 1 else ''}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
