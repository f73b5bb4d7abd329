"""Lets `python -m mergeguard` run the command line."""

from mergeguard.cli.main import run

run()
