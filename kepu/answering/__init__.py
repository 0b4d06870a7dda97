"""Answering: a question in, an Answer out (Bot.answer). No FastAPI, Redis or WeChat in here: routing,
retrieval, the answerability gate, structured handlers, extracts, optional generation and safety lines."""
