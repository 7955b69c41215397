"""Implementations of ``keireki`` commands that belong to no single area."""
