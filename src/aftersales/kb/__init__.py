"""The knowledge base: FAQ entries, policies and product-fact answers, every change kept as a version."""
