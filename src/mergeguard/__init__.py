"""mergeguard: a security gate for pull requests."""

__version__ = "0.1.0"
