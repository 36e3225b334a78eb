"""Results: the table's schema, the store that writes and loads its rows, and the per-dataset scoring
defaults and reported values both sides read. Evaluation writes rows here and the leaderboard reads them;
neither imports the other (tests/test_results_boundary.py)."""
