"""`printreg pool`: random-effects pooling of a CSV of effects (filled in by the analytics work)."""
