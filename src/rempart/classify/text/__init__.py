"""Text policy: multilingual embeddings, a trained classifier per category, text banks."""
