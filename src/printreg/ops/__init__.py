"""Operations: health and readiness probes, Prometheus metrics, structured logs with request ids.

Importing this package imports none of its modules. ``metrics`` needs only prometheus-client and
``logging`` only the standard library, so services may record into them; ``health``, ``api`` and
``middleware`` belong to the web application.
"""
