"""Knowledge retrieval: source texts cut into passages, ranked by BM25 for a query.

Everything here is derived from the texts the database holds (app.library.knowledge.texts):
chunks and indexes are rebuilt from them at will and never the only copy of anything.
"""
