"""Model-backed classifiers behind one interface, each with a name, version and threshold."""
