"""Manifest sections with a model of their own, one module each (added to ``Room`` by one field)."""
