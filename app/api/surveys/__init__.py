"""Surveys over JSON."""
