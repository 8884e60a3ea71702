"""Generation runs: many sessions as one stored, resumable, batched run (`practicum generate`)."""
