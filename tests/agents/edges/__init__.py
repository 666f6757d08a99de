"""Tests of the I/O adapters."""
