"""From detections to a mapping: candidate targets, representations, harm to the models."""
