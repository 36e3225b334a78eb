"""Leaderboard: Markdown tables, CSVs and figures generated from the results table (docs/product.md)."""
