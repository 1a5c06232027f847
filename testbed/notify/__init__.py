"""Notifications: watching pilots, events, the inbox, e-mail and webhooks."""

from testbed.notify.services import watching_outcomes

__all__ = ["watching_outcomes"]
