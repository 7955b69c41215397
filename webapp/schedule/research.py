"""Researcher pages of scheduling (filled in below)."""
