"""Summaries for staff: the dashboard, the CSV exports and `kepu insights report` share these tables."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from defusedcsv import csv
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from kepu.insights.models import Asked, Base, Flagged


@dataclass
class Table:
    name: str  # used in URLs and file names
    title: str  # shown to staff
    header: list[str]
    rows: list[list[Any]]

    def csv(self) -> bytes:
        """The table as CSV; questions people typed (=HYPERLINK(…), +cmd…) are quoted as text by
        defusedcsv, headers too (a channel name becomes one)."""
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return buf.getvalue().encode("utf-8-sig")


def load(database_url: str, since: dt.date | None = None) -> list[Asked]:
    engine = create_engine(database_url)
    try:
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            stmt = select(Asked).order_by(Asked.at)
            if since is not None:
                stmt = stmt.where(Asked.at >= dt.datetime.combine(since, dt.time()))
            rows = list(session.scalars(stmt))
            session.expunge_all()
            return rows
    finally:
        engine.dispose()


def load_flagged(database_url: str, since: dt.date | None = None) -> dict[str, str]:
    """answer id -> why the gate's margin was thin, for the answers recorded since ``since``."""
    engine = create_engine(database_url)
    try:
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            stmt = select(Flagged)
            if since is not None:
                stmt = stmt.where(Flagged.at >= dt.datetime.combine(since, dt.time()))
            return {f.answer_id: f.reason for f in session.scalars(stmt)}
    finally:
        engine.dispose()


def tables(
    rows: list[Asked],
    top: int = 20,
    titles: Mapping[str, str] | None = None,
    flagged: Mapping[str, str] | None = None,
) -> list[Table]:
    """Every summary table. ``titles``: source id -> title of the serving index's documents, so staff read
    titles, not ids (kept for a source no longer in the index); with it, a table of every document's
    citation count (zeros included: material nobody is given) and the 👎 answers to review."""
    names = dict(titles or {})
    per_day: Counter[tuple[str, str]] = Counter((r.at.date().isoformat(), r.channel) for r in rows)
    channels = sorted({c for _d, c in per_day})
    days = sorted({d for d, _c in per_day})
    daily = Table(
        "daily",
        "每天的提问量（按渠道）",
        ["日期", *channels, "合计"],
        [[d, *[per_day[(d, c)] for c in channels], sum(per_day[(d, c)] for c in channels)] for d in days],
    )

    groups: dict[str, list[Asked]] = defaultdict(list)
    for r in rows:
        groups[r.question_key].append(r)
    ranked = sorted(groups.values(), key=lambda g: (-len(g), g[-1].question))[:top]
    questions = Table(
        "questions",
        "问得最多的问题（相近问法合并）",
        ["问题（最近一种问法）", "次数", "其中未能回答", "差评"],
        [
            [g[-1].question, len(g), sum(r.refused for r in g), sum(1 for r in g if r.feedback == -1)]
            for g in ranked
        ],
    )

    items: Counter[str] = Counter(i for r in rows for i in r.items.split() if i)
    units: Counter[str] = Counter(u for r in rows for u in r.units.split("|") if u)
    sources: Counter[str] = Counter(s for r in rows for s in r.sources.split("|") if s)
    cited = Table(
        "cited",
        "被引用最多的条目、单位和文章",
        ["类型", "名称", "次数"],
        [["条目", _item_label(k, names), n] for k, n in items.most_common(top)]
        + [["单位", k, n] for k, n in units.most_common(top)]
        + [["文章", names.get(k, k), n] for k, n in sources.most_common(top)],
    )

    gap_groups: dict[str, list[Asked]] = defaultdict(list)
    for r in rows:
        if r.refused or r.feedback == -1:
            gap_groups[r.topic].append(r)
    gap_rows = sorted(gap_groups.items(), key=lambda kv: -len(kv[1]))[:top]
    gaps = Table(
        "gaps",
        "没能回答或评价不好的问题（按主题）——下一步要补充的材料",
        ["主题", "次数", "未能回答", "差评", "例子"],
        [
            [
                topic,
                len(g),
                sum(r.refused for r in g),
                sum(1 for r in g if r.feedback == -1),
                "；".join(dict.fromkeys(r.question for r in g[-3:])),
            ]
            for topic, g in gap_rows
        ],
    )

    rumor_days: Counter[str] = Counter(r.at.date().isoformat() for r in rows if r.rumor)
    rumors = Table(
        "rumors", "谣言类问题的变化", ["日期", "次数"], [[d, n] for d, n in sorted(rumor_days.items())]
    )
    extra = [source_hits(rows, names), disliked(rows, names, top)] if titles is not None else []
    if flagged is not None:
        extra.append(thin_margins(rows, flagged, names, top))
    return [daily, questions, cited, gaps, rumors, rumor_checks(rows, top), *extra]


def thin_margins(
    rows: list[Asked], flagged: Mapping[str, str], titles: Mapping[str, str], top: int = 20
) -> Table:
    """Answers the gate let through with a thin margin (the source lacks a key concept), latest first."""
    thin = [r for r in rows if r.answer_id in flagged][-top:]
    return Table(
        "thin_margin",
        "依据不足、需要复核的回答（出处没有讲到问题里的某个词）",
        ["时间", "问题", "原因", "引用"],
        _answered(thin, titles, lambda r: flagged[r.answer_id]),
    )


def source_hits(rows: list[Asked], titles: Mapping[str, str]) -> Table:
    """How often each document of the index was cited, least first: what people are never given."""
    counts: Counter[str] = Counter(s for r in rows for s in r.sources.split("|") if s)
    for ref in (i for r in rows for i in r.items.split() if i):
        counts[ref.partition("#")[0]] += 1
    order = sorted(titles, key=lambda sid: (counts[sid], titles[sid]))
    return Table(
        "source_hits",
        "每份材料被引用的次数（从少到多）",
        ["材料", "编号", "次数"],
        [[titles[sid], sid, counts[sid]] for sid in order],
    )


def disliked(rows: list[Asked], titles: Mapping[str, str], top: int = 20) -> Table:
    """Answers someone marked 👎 (answered, not refused): the quoted material to check first."""
    bad = [r for r in rows if r.feedback == -1 and not r.refused][-top:]
    return Table(
        "disliked",
        "被评为“没用”的回答——请检查引用的材料",
        ["时间", "问题", "回答方式", "引用"],
        _answered(bad, titles, lambda r: r.mode),
    )


def _answered(rows: list[Asked], titles: Mapping[str, str], why: Callable[[Asked], str]) -> list[list[Any]]:
    """A table of answers, latest first: when, the question, ``why`` it is listed, what it cited."""
    return [[r.at.strftime("%Y-%m-%d %H:%M"), r.question, why(r), _cited(r, titles)] for r in reversed(rows)]


def rumor_checks(rows: list[Asked], top: int = 20) -> Table:
    """How many people asked about each rumor check (as Cofacts counts requests): answers that gave a
    verdict, by the check cited, with the distinct askers (salted ids; WeChat and signed-in users) and
    the latest wording people used."""
    by_check: dict[str, list[Asked]] = defaultdict(list)
    for r in rows:
        if r.rumor and r.sources:
            by_check[r.sources.split("|")[0]].append(r)
    ranked = sorted(by_check.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:top]
    return Table(
        "rumor_checks",
        "各条辟谣被问到的次数",
        ["辟谣", "次数", "提问人数", "最近一次", "最近的问法"],
        [
            [
                g[-1].topic or check,
                len(g),
                len({r.user_hash for r in g if r.user_hash}),
                g[-1].at.date().isoformat(),
                g[-1].question,
            ]
            for check, g in ranked
        ],
    )


def _cited(r: Asked, titles: Mapping[str, str]) -> str:
    """What an answer quoted: the articles' titles and the plan items, as staff read them."""
    articles = [titles.get(s, s) for s in r.sources.split("|") if s]
    return "；".join([*articles, *(_item_label(i, titles) for i in r.items.split() if i)])


def _item_label(ref: str, titles: Mapping[str, str] | None = None) -> str:
    source, _sep, number = ref.partition("#")
    name = (titles or {}).get(source)
    return f"《{name}》第{number}条" if name else f"{source} 第{number}条"


def summary_text(rows: list[Asked], since: dt.date | None) -> str:
    answered = sum(1 for r in rows if not r.refused)
    rated = [r.feedback for r in rows if r.feedback]
    head = (
        f"{'自' + since.isoformat() + '起' if since else '全部记录'}：共 {len(rows)} 个问题，回答 {answered} 个，"
        f"未能回答 {len(rows) - answered} 个；收到评价 {len(rated)} 条，其中有用 {sum(1 for f in rated if f > 0)} 条。"
    )
    out = [head]
    for t in tables(rows, top=10):
        out.append("")
        out.append(f"【{t.title}】")
        out.append("  " + " | ".join(t.header))
        for row in t.rows:
            out.append("  " + " | ".join(str(c) for c in row))
        if not t.rows:
            out.append("  （暂无）")
    return "\n".join(out)
