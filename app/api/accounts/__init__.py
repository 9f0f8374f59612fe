"""Who am I, and API tokens."""
