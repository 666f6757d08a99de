"""Functions the agents (and the model) call: pure, or taking a port as argument."""
