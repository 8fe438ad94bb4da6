"""Backups: one archive holding the database and the data folder, and its restore.

``archive`` (the tar file, its manifest and checksums), ``sqlite`` (SQLite's online backup
API), ``postgres`` (``pg_dump``/``pg_restore`` found and run without a password on the command
line), ``service`` (backup, check and restore), ``cli``. This package imports none of its
modules, so the command line loads each only when a command runs. docs/operations.md says what
an archive holds and how to restore one.
"""
