"""Images in: reading files into RGB arrays, and preparing faces for the model."""
