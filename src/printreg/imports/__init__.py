"""Imports of many cases from a file: the report of a run and the template people start from.

``report`` (what an import did: counts, the first problems with line, column and message, what
was stored) and ``template`` (the template bundle: an example row, the code lists, a README).
This package imports none of its modules.
"""
