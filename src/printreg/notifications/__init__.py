"""Notifications: in-app messages and e-mails that carry links, never case values.

``service.notify`` is the one entry point of every feature (inside the change's transaction);
``batches.gather`` words many events of one transaction as one; ``delivery`` sends the e-mails
(in-process or as queue jobs, with retries) through ``mail``; ``kinds`` names the kinds and
their e-mail defaults. See docs/notifications.md.
"""
