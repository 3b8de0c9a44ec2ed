"""FER2013 readers, caching, checks, augmentation and batch loaders."""
