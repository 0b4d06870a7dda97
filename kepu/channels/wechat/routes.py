"""WeChat official-account routes (mounted only when KEPU_WECHAT_TOKEN is set): GET verification and
POST pushed messages. Every pushed message is answered inside the budget; retries get identical bytes."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, Response
from wechatpy.replies import TextReply

from kepu.channels.wechat.protocol import (
    Envelope,
    WeChatRejected,
    body_digest,
    dedupe_key,
    replay_key,
    safe_fields,
    verify,
)
from kepu.channels.wechat.protocol import Query as WxQuery

log = logging.getLogger("kepu.wechat")
router = APIRouter(include_in_schema=False)


def wx_query(
    signature: str = "",
    timestamp: str = "",
    nonce: str = "",
    echostr: str = "",
    encrypt_type: str = "",
    msg_signature: str = "",
    openid: str = "",
) -> WxQuery:
    return WxQuery(signature, timestamp, nonce, echostr, encrypt_type, msg_signature, openid)


QueryDep = Annotated[WxQuery, Depends(wx_query)]


def _rejected(exc: WeChatRejected) -> PlainTextResponse:
    log.info("wechat request rejected", extra={"status": exc.status, "reason": exc.reason})
    return PlainTextResponse(exc.reason, status_code=exc.status)


@router.get("/wechat")
def verify_server(request: Request, q: QueryDep) -> PlainTextResponse:
    try:
        verify(request.app.state.settings, q)
    except WeChatRejected as exc:
        return _rejected(exc)
    return PlainTextResponse(q.echostr)


@router.post("/wechat")
async def receive(request: Request, q: QueryDep) -> Response:
    settings = request.app.state.settings
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.wechat_max_body_bytes:
        return _rejected(WeChatRejected(400, "消息过大"))
    body = await request.body()
    envelope: Envelope = request.app.state.wechat_envelope
    try:
        verify(settings, q)
        plain, encrypted = envelope.open(q, body)
        fields = safe_fields(plain)
        # The signature covers (token, timestamp, nonce), not the body: one body per signed pair.
        # Checked once the body is a valid message, so that garbage cannot use up a real pair.
        if request.app.state.shared.nonces.conflicts(replay_key(q), body_digest(body)):
            raise WeChatRejected(403, "请求重复：这组签名参数已用于另一条消息")
    except WeChatRejected as exc:
        return _rejected(exc)

    async def compute() -> bytes:
        text = await request.app.state.wechat_dialog.reply(fields)
        if text is None:
            return b"success"
        reply = TextReply(
            source=fields.get("ToUserName", ""), target=fields.get("FromUserName", ""), content=text
        )
        return envelope.seal(reply.render(), encrypted, q.nonce)

    body_out = await request.app.state.shared.once.run_once(dedupe_key(fields), compute)
    media = "text/plain" if body_out == b"success" else "application/xml"
    return Response(body_out, media_type=media)
