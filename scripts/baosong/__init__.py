"""baosong: a git-based reporting registry and the intranet portal built from it."""

__version__ = "0.1.0"
