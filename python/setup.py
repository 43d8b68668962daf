"""Install the rbpattn Python package: python3 -m pip install ./python

Pure Python over librbpattn (ctypes): nothing is compiled and nothing is downloaded. There is
deliberately no pyproject.toml: with one, pip builds in an isolated environment and would
fetch setuptools from the network; without it, pip uses the installed setuptools (Debian's
python3-setuptools). pip versions that no longer build setup.py projects that way need
`--no-build-isolation`.
"""
import re
from pathlib import Path

from setuptools import setup

here = Path(__file__).resolve().parent
version = re.search(r'^__version__ = "([^"]+)"', (here / "rbpattn" / "__init__.py").read_text(), re.M).group(1)

setup(
    name="rbpattn",
    version=version,
    description="Transformer encoders for RNA-binding-protein site prediction (librbpattn via ctypes)",
    license="MIT",
    packages=["rbpattn"],
    python_requires=">=3.8",
    install_requires=["numpy"],
)
