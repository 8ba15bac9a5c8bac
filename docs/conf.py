# Sphinx configuration of the minivmm documentation (`make docs` builds it into build/docs/html).
# Debian packages only, nothing from PyPI: python3-sphinx, graphviz (the diagrams:
# sphinx.ext.graphviz runs its `dot`) and python3-sphinx-rtd-theme (the theme).
import pathlib

project = "minivmm"
author = "the minivmm course team"
copyright = "the minivmm course team"

# Diagrams are written as text in the .rst files (`.. graphviz::`) and drawn by dot, as SVG.
extensions = ["sphinx.ext.graphviz"]
graphviz_output_format = "svg"
graphviz_dot_args = ["-Gfontname=DejaVu Sans", "-Nfontname=DejaVu Sans", "-Efontname=DejaVu Sans",
                     "-Gfontsize=12", "-Nfontsize=12", "-Efontsize=11"]

# Read the Docs' theme, widened (_static/minivmm.css) so that code, tables and
# diagrams get the width of the window rather than a narrow column.
html_theme = "sphinx_rtd_theme"
html_theme_options = {"navigation_depth": 3}
html_static_path = ["_static"]
html_css_files = ["minivmm.css"]

# `python3 -m grader.selftest --only linkcheck` runs Sphinx's linkcheck builder for
# the internal links only: external ones are not fetched (no network needed).
linkcheck_ignore = [r"https?://", r"ftp://"]
exclude_patterns = ["_build"]
master_doc = "index"
# Literal blocks are shown as they are; pages name a language where colour helps.
highlight_language = "none"

# The student handout has no docs/instructor/ (make handout leaves it out). The
# index lists it with the glob "instructor/*", and Sphinx warns when a glob
# matches nothing, which `make docs` (-W) would turn into an error. So, when the
# folder is absent, the glob entry is dropped from the index before Sphinx reads it.
_HERE = pathlib.Path(__file__).resolve().parent
_HAVE_INSTRUCTOR = any((_HERE / "instructor").glob("*.rst"))


def _drop_instructor_glob(app, docname, source):
    if docname == "index" and not _HAVE_INSTRUCTOR:
        source[0] = source[0].replace("\n   instructor/*\n", "\n")


def setup(app):
    app.connect("source-read", _drop_instructor_glob)
