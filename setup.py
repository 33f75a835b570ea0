"""Package layout that pyproject.toml cannot express: the top-level personas/ folder ships as voicecli.personas.

Everything else (metadata, dependencies, package data) lives in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[*find_namespace_packages(include=["voicecli*"]), "voicecli.personas"],
    package_dir={"voicecli.personas": "personas"},
)
