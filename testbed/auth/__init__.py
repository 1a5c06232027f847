"""Accounts, roles and departments."""
