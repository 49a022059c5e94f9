"""The Textual internals the app relies on, in one place: Textual offers no public way to add a binding
that carries an ``id`` (which ``keys.toml`` remaps by; ``App.bind`` takes none and is marked "may be private
or removed"), nor to read a node's bindings as the keymap has left them (``active_bindings`` holds only the
focused chain's, one per key).

The Textual version is pinned in pyproject.toml; ``tests/architecture/test_private_apis.py`` fails, naming
the name, when an installed Textual lacks one of these or changed its shape.
"""
from __future__ import annotations

from collections.abc import Iterator

from textual.binding import Binding
from textual.dom import DOMNode


def node_bindings(node: DOMNode) -> Iterator[Binding]:
    """The bindings of ``node`` itself (its class's ``BINDINGS`` and those added), keys as remapped."""
    for _key, binding in node._bindings:
        yield binding


def add_binding(node: DOMNode, binding: Binding) -> None:
    """Bind a key on ``node`` with the binding's ``id``, ``show`` and ``key_display`` kept."""
    node._bindings._add_binding(binding)
