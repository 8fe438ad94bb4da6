"""Research data requests: the outer ring of ``printreg.research`` (the pure core).

``models`` (tables), ``service`` (submit, decide, extract, download), ``decisions`` (what a
committee decision does), ``extracts`` (writing the extract), ``api``, ``pages``, ``cli``.
This package imports none of its modules, so importing one never drags in the others.
"""
