"""Pytest fixtures that serve the emulator (filled in by the emulator module)."""
