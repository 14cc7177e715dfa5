"""Builds the shared library with cargo and bundles it in the package (see pyproject.toml).

The library is built from the repository's Cargo.toml, one level up, so the package installs
from a checkout (`pip install ./python`), not from an sdist alone. CARGO_TARGET_DIR chooses
cargo's build directory, VIREG_MAX_FEATURES the feature capacity (default 16), as for any build.
"""

import os
import re

from setuptools import setup
from setuptools_rust import Binding, RustExtension

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, os.pardir, "Cargo.toml")


def crate_version() -> str:
    """The [package] version of ../Cargo.toml: the package's and the library's are one."""
    with open(MANIFEST, encoding="utf-8") as f:
        m = re.search(r'^version = "([^"]+)"$', f.read(), re.MULTILINE)
    if m is None:
        raise RuntimeError("no version in %s" % MANIFEST)
    return m.group(1)


setup(
    version=crate_version(),
    rust_extensions=[
        # vireg/libvireg.<tag>.so: the cdylib alone (`cargo rustc --lib --crate-type cdylib`),
        # loaded by vireg/_capi.py with ctypes.
        RustExtension(
            "vireg.libvireg",
            path=MANIFEST,
            binding=Binding.NoBinding,
            args=["--profile", "dist"],
            py_limited_api=False,
        )
    ],
)
