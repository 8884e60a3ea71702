"""Widgets the practicum screens are built from."""
