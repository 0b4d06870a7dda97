"""WeChat official-account channel: protocol, formatting, dialog, customer-service API."""
