"""Data-quality rules over stored cases: declared per registry, evaluated in bulk on a schedule.

``rules`` (the rules as data, checked against the definition), ``evaluate`` (polars over one
frame of cases), ``frames`` (reading that frame), ``models`` (the stored results), ``service``,
``schemas``, ``jobs`` (the scheduled evaluation), ``api``, ``pages``, ``cli``. Importing this
package imports none of them.
"""
