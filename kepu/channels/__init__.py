"""Channels: thin adapters that ask through the service seam (kepu/service/asking.py): the HTTP API,
the pages, the staff dashboard and editor, and WeChat."""
