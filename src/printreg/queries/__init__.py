"""Queries (data clarification requests) on a case's field: raise, answer, close, re-open."""
