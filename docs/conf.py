# Sphinx configuration of the minivmm documentation (`make docs` builds it into build/docs/html).
# Only Sphinx itself is needed (Debian: python3-sphinx); no extension, no theme from PyPI.
import pathlib

project = "minivmm"
author = "the minivmm course team"
copyright = "the minivmm course team"

extensions = []
html_theme = "alabaster"
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
