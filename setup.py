"""Package list for setuptools (metadata lives in pyproject.toml).

The stock plugins live in the top-level ``plugins/`` folder and the locality profiles in ``config/``;
they ship inside the wheel as ``kbtui_plugins`` and ``kbtui_config`` (never as a bare ``plugins``
package, which would collide in site-packages). Sub-packages are found here so that nobody has to
keep a list up to date by hand.
"""
from setuptools import find_packages, setup

packages = find_packages("src")
packages += ["kbtui_plugins"] + [f"kbtui_plugins.{name}" for name in find_packages("plugins")]
packages += ["kbtui_config"]

setup(packages=packages)
