"""``python -m wiretool`` runs the command line."""

from wiretool.cli import main

main()
