"""``python -m effbench``: the command line (see :mod:`effbench.cli`)."""

from effbench.cli import main

main()
