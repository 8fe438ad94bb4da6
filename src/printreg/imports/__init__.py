"""Imports of many cases from a file, and the template people start from.

``service`` (the importer: dry run, idempotent upsert, error file), ``staging`` (all-or-nothing
files on SQLite), ``jobs`` (imports as background jobs), ``report`` (what an import did: counts,
the first problems with line, column and message, the cases stored), ``template`` (the template
bundle: an example row, the code lists, a README), ``api`` and ``pages``. This package imports
none of its modules.
"""
