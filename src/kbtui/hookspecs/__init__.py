"""Hook specifications. Every module in this package is registered with the plugin manager.

Each feature area keeps its hooks in its own module (core, tui, escalation, disability …).
All hooks hand a registry to fill: ``registry.add(name, item)`` refuses a duplicate name.
"""
