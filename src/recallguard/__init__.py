"""recallguard: keeps recalled and banned products off online marketplaces."""

__version__ = "0.1.0"
