"""Evidence that a vanished field lives on: rename, nesting, split, merge, unit change."""
