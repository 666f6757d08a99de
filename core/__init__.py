"""The shared vocabulary: events, contracts, ports, errors, settings. Imports nothing of ours."""
