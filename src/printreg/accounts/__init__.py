"""People's accounts: who may sign in, and who decides it."""
