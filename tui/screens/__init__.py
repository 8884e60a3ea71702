"""The practicum screens, one per file."""
