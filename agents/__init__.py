"""suture's agents: long-running Kafka consumers and the shared vocabulary they speak."""
