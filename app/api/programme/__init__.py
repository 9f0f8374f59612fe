"""The ZI programme over JSON."""
