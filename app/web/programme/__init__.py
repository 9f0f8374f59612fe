"""Programme pages."""
