"""Model registry and the built-in networks."""
