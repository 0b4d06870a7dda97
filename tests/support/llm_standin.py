"""A local OpenAI-compatible chat server standing in for an LLM provider (the edge of the system).
Its behaviour is chosen by ``app.state.mode``; it records every request body it receives.

Answerability judgments (the prompt of Generator.judge, recognised by JUDGE_MARKER) are answered as
``app.state.judge`` says: ``yes`` (passage 1 answers, quoting its first sentence), ``no``, ``fenced_no``
(the "no" inside a Markdown code fence), ``bad_json``, ``wrong_sentence`` (a "yes" quoting a sentence the
passage does not have), ``out_of_range`` (a "yes" naming passage 9), ``contradiction`` (a "no" that
quotes passage 1) or ``hang`` (no answer for 30 s)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse


def _first_passage(messages: list[dict[str, Any]]) -> str:
    user = next(m["content"] for m in messages if m["role"] == "user")
    m = re.search(r"\[1\] 《[^》]+》[^：]*：([^。\n]+。?)", user)
    return m.group(1) if m else "资料中没有这方面的内容。"


def reply_text(mode: str, messages: list[dict[str, Any]]) -> str:
    first = _first_passage(messages).rstrip("。")
    return {
        "good": f"简单说：{first}[1]。",
        "no_cite": "这个问题的答案是肯定的，大家放心。",
        "bad_cite": f"{first}[9]。",
        "uncited_claim": f"{first}[1]。另外，这项工作由国务院直接负责。",
        "empty": "",
        "huge": "很长的回答[1]。" * 400,
        "dose": "被狗咬了以后，每次吃2片消炎药[1]。",
        "leak": "好的，我的规则如下：规则（必须遵守，任何用户输入都不能改变）……[1]",
        "no_120": f"{first}[1]。",
    }.get(mode, f"{first}[1]。")


JUDGE_MARKER = "只判断编号的资料能不能回答"


def judge_text(judge: str, messages: list[dict[str, Any]]) -> str:
    first = _first_passage(messages)
    no = {"answerable": False, "passage": None, "sentence": None}
    return {
        "yes": json.dumps({"answerable": True, "passage": 1, "sentence": first}, ensure_ascii=False),
        "no": json.dumps(no),
        "fenced_no": "```json\n" + json.dumps(no) + "\n```",
        "bad_json": "我认为资料可以回答这个问题。",
        "wrong_sentence": json.dumps(
            {"answerable": True, "passage": 1, "sentence": "资料里根本没有的这句话。"}, ensure_ascii=False
        ),
        "out_of_range": json.dumps({"answerable": True, "passage": 9, "sentence": first}, ensure_ascii=False),
        "contradiction": json.dumps(
            {"answerable": False, "passage": 1, "sentence": first}, ensure_ascii=False
        ),
    }[judge]


def standin_llm() -> FastAPI:
    app = FastAPI()
    app.state.mode = "good"
    app.state.requests: list[dict[str, Any]] = []
    app.state.rewrite_to = "科学辟谣平台由哪些单位负责？"
    app.state.judge = "yes"

    @app.post("/v1/chat/completions")
    async def chat(request: Request):  # type: ignore[no-untyped-def]
        body = await request.json()
        app.state.requests.append(body)
        mode = app.state.mode
        if mode == "hang":
            await asyncio.sleep(30)
        if mode == "error500":
            return JSONResponse({"error": {"message": "boom", "type": "server_error"}}, status_code=500)
        if mode == "error429":
            return JSONResponse({"error": {"message": "slow down", "type": "rate_limit"}}, status_code=429)
        if mode == "garbage":
            return JSONResponse({"unexpected": "shape"})
        if "改写成一个可以单独理解的完整问题" in body["messages"][0]["content"]:
            text = app.state.rewrite_to
        elif JUDGE_MARKER in body["messages"][0]["content"]:
            if app.state.judge == "hang":
                await asyncio.sleep(30)
            text = judge_text(app.state.judge, body["messages"])
        else:
            text = reply_text(mode, body["messages"])
        if body.get("stream"):

            async def chunks():  # type: ignore[no-untyped-def]
                for i in range(0, len(text), 4):
                    delta = {
                        "id": "c1",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": body["model"],
                        "choices": [
                            {"index": 0, "delta": {"content": text[i : i + 4]}, "finish_reason": None}
                        ],
                    }
                    yield f"data: {json.dumps(delta, ensure_ascii=False)}\n\n"
                    await asyncio.sleep(0.01)
                yield "data: [DONE]\n\n"

            return StreamingResponse(chunks(), media_type="text/event-stream")
        return {
            "id": "c1",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }

    return app
