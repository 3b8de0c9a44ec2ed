"""Pictures from numbers: plots and overlays. Rendering never computes metrics."""
