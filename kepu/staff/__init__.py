"""Named staff accounts with roles, and the audit log of what they change."""
