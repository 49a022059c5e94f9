"""Pure domain rules: no Textual, no TinyDB, no openpyxl."""
