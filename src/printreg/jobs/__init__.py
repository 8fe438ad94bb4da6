"""The job queue: long tasks (imports today) run by worker processes that share the database.

``models`` holds the two tables (the jobs and the workers' heartbeats), ``queue`` the claiming,
leases and retries, ``worker`` the loop that ``printreg worker`` runs, ``cli`` that command.
"""
