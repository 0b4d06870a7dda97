"""The knowledge base: typed records, the vector store, the lexical index and the plan index.

Nothing here imports a channel, the LLM client or FastAPI.
"""
