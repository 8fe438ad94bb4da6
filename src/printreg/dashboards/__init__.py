"""Dashboards: a facility's benchmarks, the registry-wide page, the public figures and the PDF
feedback report — the outer ring of ``printreg.analytics`` (the pure core).

``service`` (who sees what, suppression), ``released`` (released mixes, funnels and the public
cross table), ``filters`` (strata and period, checked), ``schemas`` (the typed answers: every
released or suppressed figure says which in its type), ``headline`` (a plain-words sentence per
measure),
``charts`` (Vega-Lite specs), ``pdf`` (the feedback report), ``api``, ``pages``, ``cli``.
This package imports none of its modules, so importing one never drags in the others.
"""
