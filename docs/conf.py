"""Sphinx configuration of storagekit's documentation site.

Build it with ``python -m sphinx -W --keep-going -b html docs docs/_build/html`` (the ``docs``
extra installs Sphinx, myst-parser, furo, and fsspec for :mod:`storagekit.fs`'s reference). The
Markdown pages of docs/ are used as they are (myst-parser); the API reference is autodoc of the
docstrings (Google style, read by napoleon); the CLI reference and the presets tables are
generated from the code by ``_ext/storagekit_docs.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path[:0] = [str(DOCS.parent), str(DOCS / "_ext")]

from storagekit import __version__  # noqa: E402  (the path above makes this checkout's package importable)

project = "storagekit"
author = "the storagekit authors"
copyright = "the storagekit authors, Apache License 2.0"
release = version = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "myst_parser",
    "storagekit_docs",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "api/_*"]

# Markdown: headings get anchors (GitHub's spelling), so `page.md#a-heading` links resolve.
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

# API reference: Google-style docstrings; members in source order; types in the description.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autodoc_class_signature = "mixed"
autodoc_default_options = {"members": True, "show-inheritance": True}
autoclass_content = "both"

# Python's own documentation for links such as :class:`FileNotFoundError`. The inventory is
# fetched from the network, so only when asked (STORAGEKIT_DOCS_INTERSPHINX=1): the build CI runs
# is offline and must not warn about an unreachable inventory.
intersphinx_mapping = (
    {"python": ("https://docs.python.org/3", None)} if os.environ.get("STORAGEKIT_DOCS_INTERSPHINX") == "1" else {}
)

html_theme = "furo"
html_title = f"storagekit {release}"
