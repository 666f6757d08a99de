"""The application shell of suture: CLI, HTTP API, store and composition root."""
