"""enforcement layer."""
