"""JSON API: ask, search, units, items, matrix, exports, sources."""

from __future__ import annotations

import difflib
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from kepu.channels import exports as export
from kepu.channels.deps import AskingDep, LibraryDep, PlansDep, RateLimitDep, client_key
from kepu.channels.schemas import AskRequest, FeedbackRequest
from kepu.kb.plan_index import PlanIndex
from kepu.kb.sources import sources_report
from kepu.kb.types import ALL_MEMBERS, PlanDoc, PlanItem
from kepu.kb.units import Unit
from kepu.service.asking import Asked
from kepu.service.library import unit_absent
from kepu.text import normalize

router = APIRouter(prefix="/api", dependencies=[RateLimitDep])


# An item number longer than this is no item of any plan (and int() of a huge string is costly).
MAX_ITEM_DIGITS = 6


def _plan(index: PlanIndex, plan: str | None = None) -> PlanDoc:
    """The plan named by ``?plan=`` (its source_id or its year), else the default plan."""
    if plan:
        found = index.plan_by_id(plan) or next(
            (
                p
                for p in sorted(index.plans.values(), key=lambda p: p.region != "全国")
                if str(p.year) == plan
            ),
            None,
        )
        if found is None:
            known = "、".join(sorted(index.plans))
            raise HTTPException(404, f"没有计划“{plan}”，可选：{known}")
        return found
    default = index.default_plan()
    if default is None:
        raise HTTPException(404, "知识库中还没有工作要点文件")
    return default


PlanParam = Query(None, description="计划的 source_id 或年份；不填则为最新年份的全国工作要点")


def _item_json(item: PlanItem, unit: str | None = None) -> dict[str, Any]:
    return {
        "number": item.number,
        "part": item.part,
        "part_no": item.part_no,
        "section": item.section,
        "text": item.body,
        "units": list(item.units),
        "all_members": item.all_members,
        "co_units": [u for u in item.units if u != unit and u != ALL_MEMBERS] if unit else None,
        "lead": item.lead,  # the first unit listed leads (牵头); None when all member units share it
        "role": item.role(unit) if unit else None,  # 牵头 | 参与 | 单独负责 | 各成员单位共同负责
    }


def _plan_json(plan: PlanDoc) -> dict[str, Any]:
    return {"source_id": plan.source_id, "title": plan.title, "year": plan.year, "region": plan.region}


def _unit_json(unit: Unit, plan: PlanDoc, index: PlanIndex) -> dict[str, Any]:
    ui = index.items_for_unit(plan, unit)
    return {
        "name": unit.name,
        "short": unit.public(),
        "full_name": unit.full_name,
        "aliases": list(unit.aliases),
        "items": len(ui.items),
        "lead_items": sum(1 for it in ui.items if it.lead == unit.name),
        "all_member_items": len(ui.all_member_items),
    }


def _resolve_unit(index: PlanIndex, name: str, plan: PlanDoc) -> Unit:
    units = index.directory(plan)
    unit = units.resolve(normalize(name)) or units.resolve(name)
    if unit is None and (absent := index.absent_units(plan, normalize(name) or name)):
        message, near = unit_absent(index, plan, absent[0])
        raise HTTPException(404, {"message": message, "suggestions": [u.name for u in near]})
    if unit is None:
        close = difflib.get_close_matches(name, units.all_names(), n=5, cutoff=0.3)
        names = list(dict.fromkeys(u.name for c in close if (u := units.resolve(c)) is not None))
        hint = f"，您是不是要找：{'、'.join(names)}" if names else ""
        raise HTTPException(404, {"message": f"找不到单位“{name}”{hint}", "suggestions": names})
    return unit


@router.post("/ask", summary="提问", description="与 `kepu ask --json` 返回相同的 Answer JSON。")
async def ask(request: Request, body: AskRequest, asking: AskingDep) -> JSONResponse:
    policy = asking.policy(body.channel or "web")
    asked = await asking.ask(body.question, policy, body.session_id, client_key(request))
    return JSONResponse({**asked.answer.to_dict(), "answer_id": asked.answer_id})


def _sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.get("/config", summary="页面需要知道的服务配置")
def config(asking: AskingDep) -> dict[str, Any]:
    return {"llm": asking.generates}


@router.get(
    "/ask/stream",
    summary="提问（流式）",
    description="Server-sent events：配置了大模型时先发送 `token` 事件（生成中的文字），最后发送 `final` 事件"
    "（完整的 Answer JSON，含出处；生成的回答未通过检查时为摘录式回答）。",
)
async def ask_stream(
    request: Request,
    asking: AskingDep,
    q: str = Query(description="用户的问题（长度上限同 /api/ask：KEPU_MAX_QUESTION_CHARS）"),
    session_id: str | None = Query(None, max_length=128),
) -> StreamingResponse:
    events = await asking.stream(q, asking.policy("web"), session_id, client_key(request))

    async def sse() -> AsyncIterator[str]:
        async for event in events:
            if isinstance(event, Asked):
                yield _sse("final", {**event.answer.to_dict(), "answer_id": event.answer_id})
            else:
                yield _sse("token", {"text": event.text})

    return StreamingResponse(sse(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.post("/feedback", status_code=204, summary="对一个回答的评价（有用 / 没用）")
def feedback(body: FeedbackRequest, asking: AskingDep) -> Response:
    asking.feedback(str(body.answer_id), body.useful)
    return Response(status_code=204)


@router.get("/search", summary="检索", description="与 `kepu search --json` 返回相同的结果。")
async def search(
    request: Request,
    asking: AskingDep,
    q: str = Query(description="检索的问题（长度上限同 /api/ask：KEPU_MAX_QUESTION_CHARS）"),
    k: int = Query(5, ge=1, le=50),
) -> dict[str, Any]:
    retrieval = await asking.search(q, k, client_key(request))
    return {"question": q, "hits": [h.to_dict() for h in retrieval.hits]}


@router.get("/plans", summary="知识库中的全部计划（工作要点）")
def plans(index: PlansDep) -> dict[str, Any]:
    default = index.default_plan()
    rows = sorted(index.plans.values(), key=lambda p: (-(p.year or 0), p.region != "全国", p.source_id))
    return {
        "default": default.source_id if default else None,
        "plans": [{**_plan_json(p), "items": len(p.items)} for p in rows],
    }


@router.get("/units", summary="全部负责单位")
def units(index: PlansDep, plan: str | None = PlanParam) -> dict[str, Any]:
    chosen = _plan(index, plan)
    rows = [_unit_json(u, chosen, index) for u in index.directory(chosen).units.values()]
    rows.sort(key=lambda r: (-r["items"], r["name"]))
    return {"plan": _plan_json(chosen), "units": rows}


@router.get("/units/{name}", summary="一个单位负责的条目（可用任何名称或简称）")
def unit(name: str, index: PlansDep, plan: str | None = PlanParam) -> dict[str, Any]:
    chosen = _plan(index, plan)
    u = _resolve_unit(index, name, chosen)
    ui = index.items_for_unit(chosen, u)
    return {
        "plan": _plan_json(chosen),
        "unit": _unit_json(u, chosen, index),
        "items": [_item_json(it, u.name) for it in ui.items],
        "all_member_items": [_item_json(it, u.name) for it in ui.all_member_items],
    }


@router.get("/items", summary="条目列表，可按部分和单位筛选")
def items(
    index: PlansDep,
    part: int | None = Query(None, ge=1),
    unit: str | None = None,
    plan: str | None = PlanParam,
) -> dict[str, Any]:
    chosen = _plan(index, plan)
    selected = list(chosen.items)
    if part is not None:
        if not any(p.number == part for p in chosen.parts):
            raise HTTPException(404, f"没有第{part}部分，共{len(chosen.parts)}个部分")
        selected = [it for it in selected if it.part_no == part]
    unit_name = None
    if unit:
        unit_name = _resolve_unit(index, unit, chosen).name
        selected = [it for it in selected if unit_name in it.units]
    return {
        "plan": _plan_json(chosen),
        "parts": [
            {
                "number": p.number,
                "title": p.title,
                "sections": [{"number": s.number, "title": s.title} for s in p.sections],
            }
            for p in chosen.parts
        ],
        "items": [_item_json(it, unit_name) for it in selected],
    }


@router.get("/items/{n}", summary="一个条目")
def item(n: str, index: PlansDep, plan: str | None = PlanParam) -> dict[str, Any]:
    plan_doc = _plan(index, plan)
    # ASCII digits only: "²" and "①" are digits to str.isdigit but not to int()
    found = plan_doc.item(int(n)) if n.isascii() and n.isdigit() and len(n) <= MAX_ITEM_DIGITS else None
    if found is None:
        first, last = plan_doc.items[0].number, plan_doc.items[-1].number
        raise HTTPException(404, f"没有第{n[:20]}条：条目编号应为{first}—{last}之间的数字")
    return _item_json(found)


@router.get("/matrix", summary="单位 × 条目矩阵")
def matrix(index: PlansDep) -> dict[str, Any]:
    plan = _plan(index)
    rows = export.matrix_rows(plan, index)
    return {"plan": {"source_id": plan.source_id, "title": plan.title}, "header": rows[0], "rows": rows[1:]}


def _download(rows: list[list[str]], name: str, fmt: str) -> Response:
    """rows: the metadata line (export.plan_row), then the column header, then the data."""
    if fmt == "csv":
        body, media = export.to_csv(rows), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body, media = (
            export.to_xlsx(rows, name, header_row=2),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        raise HTTPException(404, f"不支持的导出格式“{fmt}”，可选 csv 或 xlsx")
    from urllib.parse import quote

    disposition = f"attachment; filename*=UTF-8''{quote(name)}.{fmt}"
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


@router.get("/export/matrix.{fmt}", summary="导出单位 × 条目矩阵（csv 或 xlsx）")
def export_matrix(fmt: str, index: PlansDep, plan: str | None = PlanParam) -> Response:
    chosen = _plan(index, plan)
    rows = [export.plan_row(chosen), *export.matrix_rows(chosen, index)]
    return _download(rows, f"{chosen.title}-分工矩阵", fmt)


@router.get("/export/units/{name}.{fmt}", summary="导出一个单位的条目（csv 或 xlsx）")
def export_unit(name: str, fmt: str, index: PlansDep, plan: str | None = PlanParam) -> Response:
    chosen = _plan(index, plan)
    u = _resolve_unit(index, name, chosen)
    rows = [export.plan_row(chosen), *export.unit_rows(chosen, index, u)]
    return _download(rows, f"{u.name}-{chosen.title}", fmt)


@router.get("/sources", summary="知识库文档及审核状态（含未收录的草稿、停用和出错文件）")
def sources(library: LibraryDep) -> dict[str, Any]:
    return sources_report(library.manifest)
