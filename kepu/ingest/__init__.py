"""Ingestion: files in, a new index version out (atomic, idempotent)."""
