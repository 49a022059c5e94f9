"""Stock data checks registered through ``kbtui_register_checks`` (one plugin per module)."""
