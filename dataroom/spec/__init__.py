"""Sub-models of the room manifest, one module per section (added to ``Room`` by one field)."""
