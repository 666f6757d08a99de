"""Detections over profiles (drift, quality, lag) and the monitor that turns them into alerts."""
