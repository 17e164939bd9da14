"""Matching: the Splink model (comparisons, blocking, training, pinned versions), prediction
and clustering of pairs, thresholds and the explanation of a link."""
