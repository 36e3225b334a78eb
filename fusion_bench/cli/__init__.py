"""The `fusion-bench` command line (docs/product.md)."""
