"""Recommendations: the index of open opportunities, recommending and searching, and learning the
ranking weights. This package reads the database and alone calls into `ml/`; it writes nothing
(but for deleting old rows of the change feed).

    vocabulary.py  the controlled vocabularies as ml/ needs them (data files and staff's synonyms)
    embedding.py   the embedding model and the text embedded for an opportunity
    filters.py     the hard filters, as SQL and on the index's arrays
    feed.py        the change feed that keeps each process's index in step with the database
    index.py       the open opportunities as arrays, kept up to date in each process
    weights.py     the blend's weights in use, and where they come from
    recommend.py   the recommendations of one opportunity, with their reasons
    search.py      opportunities close in meaning to a text
    training.py    features of answered matches, and learned weights compared with those in use
"""
