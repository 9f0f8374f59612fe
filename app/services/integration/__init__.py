"""Joins between domains: surveys and innovations into the LKE, the journey timeline."""
