"""Test support: real servers started for the tests (Redis, Chroma, nginx, uvicorn), stand-ins at the edge
(OpenAI-compatible model, embeddings and reranker endpoints, the WeChat API), the deterministic fake
embedder, a load generator and shared set-ups. Nothing here is a test."""
