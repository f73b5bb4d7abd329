"""Lets `python -m mergeguard` run the command line."""

from mergeguard.cli import main

raise SystemExit(main())
