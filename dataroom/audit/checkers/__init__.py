"""One module per resource type the audit judges; ``catalog.CHECKERS`` lists them all."""
