"""Channels: thin adapters around Bot.answer() and the plan index (HTTP API, pages, later WeChat)."""
