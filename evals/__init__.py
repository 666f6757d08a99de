"""Offline eval suites: scenario files, their loader and checker, pure scorers and reports."""
