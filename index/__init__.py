"""The newsdesk engine: ingestion, cleaning, passages, embeddings, storage and retrieval.

Usable as a library: `Engine.open(config).ask("...")`. Never imports discord.
"""
