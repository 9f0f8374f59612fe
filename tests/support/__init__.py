"""Helpers shared by the tests (imported by test modules and conftests; never a test module
or a conftest imported by another)."""
