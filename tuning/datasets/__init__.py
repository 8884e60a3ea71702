"""Datasets: import outside dialogue formats, export rated transcripts for each tuner, validate training files."""
