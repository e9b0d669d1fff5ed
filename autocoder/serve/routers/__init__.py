"""One router per resource: code, batches, episodes, codes, admin, health."""
