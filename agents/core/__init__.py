"""Shared vocabulary of suture: imports nothing else from this repository."""
