"""The job queue: long tasks (imports, exports, analytics refreshes, research extracts) run by
worker processes that share the database.

``models`` holds the tables (the jobs, the workers' heartbeats, the task jobs people asked for),
``queue`` the claiming, leases and retries, ``worker`` the loop that ``printreg worker`` runs,
``tasks`` the task jobs and their state, ``api`` and ``pages`` their status and files, ``cli``
the worker command.
"""
