"""Ingestion: inputs read into documents, page furniture cleaned out, metadata filled in,
articles split into passages. Pure text work apart from reading the files."""
