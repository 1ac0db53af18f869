"""Manifest sections beyond the core room model, each in a module of its own (jsii-free)."""
