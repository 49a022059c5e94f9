"""kbtui: 控辍保学工作台 (keeping every child of compulsory-school age in school).

``kbtui.hookimpl`` is the public marker for plugin hook implementations.
"""
import pluggy

__version__ = "0.1.0"

PROJECT_NAME = "kbtui"
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
hookspec = pluggy.HookspecMarker(PROJECT_NAME)

__all__ = ["hookimpl", "hookspec", "PROJECT_NAME", "__version__"]
