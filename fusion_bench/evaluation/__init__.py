"""Evaluation: run fusers on datasets, score the fused images, keep one results table (docs/product.md)."""
