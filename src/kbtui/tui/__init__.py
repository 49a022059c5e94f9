"""The Textual workstation. Screens call services, never the store directly."""
