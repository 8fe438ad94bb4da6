"""The printreg command line (Typer): thin commands that call one service each."""
