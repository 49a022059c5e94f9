"""Use cases shared by the CLI and the TUI; neither holds business rules of its own."""
