"""listings layer."""
