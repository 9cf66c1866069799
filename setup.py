"""Compiles the gettext catalogs (``src/ipmsg_tui/locale/*/LC_MESSAGES/*.po``) into ``.mo``
files as part of the build; everything else is in pyproject.toml.

``pip install .`` gets them in the wheel; ``pip install -e .`` gets them beside the ``.po``
files in the source tree (an editable install imports from there).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "src" / "ipmsg_tui"


def _catalogs():  # type: ignore[no-untyped-def]
    # By path: the package itself cannot be imported before it is installed.
    spec = importlib.util.spec_from_file_location("_catalogs", PACKAGE / "catalogs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


class BuildWithCatalogs(build_py):
    def run(self) -> None:
        catalogs = _catalogs()
        for po in sorted(PACKAGE.glob("locale/*/LC_MESSAGES/*.po")):
            catalogs.compile_file(po, po.with_suffix(".mo"))
        super().run()  # copies the fresh .mo files as package data


setup(cmdclass={"build_py": BuildWithCatalogs})
