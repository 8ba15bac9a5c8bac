"""Tests of grader/doclinks.py: internal links of an HTML build, and the whole check on a tiny Sphinx site."""
import contextlib
import io
import pathlib
import shutil
import tempfile
import unittest

from grader import doclinks

PAGE = """<html><body><section id="intro"><h1>Intro</h1>
<a href="#intro">here</a> <a href="other.html#part-2">there</a> <a href="https://example.org/x">out</a>
<img src="_images/d.svg"> <a href="#">top</a></section></body></html>"""
OTHER = '<html><body><section id="part-2"><a name="old-anchor"></a></section></body></html>'


class HtmlLinks(unittest.TestCase):
    def build(self, files):
        root = pathlib.Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, root)
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        return root

    def test_good_links_pass(self):
        root = self.build({"index.html": PAGE, "other.html": OTHER, "_images/d.svg": "<svg/>"})
        self.assertEqual(doclinks.check_html(root), [])

    def test_missing_anchor_and_file_are_named(self):
        page = PAGE.replace("#part-2", "#part-3").replace("_images/d.svg", "_images/gone.svg")
        root = self.build({"index.html": page, "other.html": OTHER})
        problems = doclinks.check_html(root)
        self.assertEqual(len(problems), 2, problems)
        self.assertIn("index.html:2: other.html#part-3: no anchor #part-3 in other.html", problems)
        self.assertTrue(any("_images/gone.svg: no such file" in p for p in problems), problems)


@unittest.skipUnless(shutil.which("sphinx-build"), "needs sphinx-build (python3-sphinx)")
class SphinxSite(unittest.TestCase):
    """The whole check on a two-page site: a good one passes, a broken reference fails."""

    def site(self, body):
        src = pathlib.Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, src)
        (src / "conf.py").write_text('project = "t"\nlinkcheck_ignore = [r"https?://"]\n')
        (src / "index.rst").write_text("Index\n=====\n\n.. toctree::\n\n   page\n\n" + body + "\n")
        (src / "page.rst").write_text("Page\n====\n\nPart two\n--------\n\nText.\n")
        return src

    def run_check(self, src):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = doclinks.main(["--docs", str(src), "--out", str(src / "_out")])
        return status, out.getvalue()

    def test_good_site_passes(self):
        status, out = self.run_check(self.site("See :doc:`page` and `the web <https://example.org/>`_."))
        self.assertEqual(status, 0, out)

    def test_missing_local_file_fails(self):
        status, out = self.run_check(self.site("See `the notes <notes/missing.txt>`_."))
        self.assertEqual(status, 1, out)
        self.assertIn("notes/missing.txt", out)

    def test_unresolved_reference_fails(self):
        status, out = self.run_check(self.site("See :doc:`nowhere`."))
        self.assertEqual(status, 1, out)
        self.assertIn("nowhere", out)


if __name__ == "__main__":
    unittest.main()
