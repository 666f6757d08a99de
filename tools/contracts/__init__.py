"""Data contracts: check events against them, import, infer, evolve and write them."""
