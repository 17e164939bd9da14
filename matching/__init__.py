"""Matching: Dutch standardisation, the Splink model, clustering into persons."""
