"""The `practicum` command: a thin click group; commands live in practicum.commands."""
import click

@click.group()
def cli():
    """practicum."""

def main():
    cli()
