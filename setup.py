"""The packages, found: every package folder under generator/ (a format shipped as a copy of
shanxi/, with its __init__.py, included) is installed without a list to keep up; templates/ is
installed as generator.templates (pyproject.toml's package-dir). The rest is in pyproject.toml."""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["generator", "generator.*"]), "generator.templates"])
