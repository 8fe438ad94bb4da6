"""Notifications: in-app messages and e-mails that carry links, never case values."""
