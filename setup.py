"""Package discovery for the dlterm wheel (everything else is in pyproject.toml).

``find_packages`` lists every package under ``dlterm/``, so a new subpackage can never be
left out of the wheel; ``plugins/`` is added under its installed name ``dlterm_plugins``.
"""

from setuptools import find_packages, setup

setup(packages=find_packages(include=["dlterm", "dlterm.*"]) + ["dlterm_plugins"])
