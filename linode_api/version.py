"""The package version, sent in the default User-Agent."""

__version__ = "0.1.0"
