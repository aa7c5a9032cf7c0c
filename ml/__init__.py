"""Embedding, lexical matching and ranking for the matchmaking service.

Pure Python (numpy, scikit-learn, sentence-transformers): strings and arrays in, arrays and
scores out. Nothing in this package imports Django.
"""
