"""`python -m printreg` runs the command line."""

from printreg.cli.app import main

main()
