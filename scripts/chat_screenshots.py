"""Phone-sized screenshots of the public chat page (/) for a few questions (issue 17 before/after).

Drives a running server (`kepu serve`) with Playwright's sync API and the system Chromium, the same way
tests/test_pages_e2e.py does: fill #question, press Enter, wait for the new `#log > .a:not(.pending)`
answer bubble. Each question gets a fresh page in a 390x844 phone viewport and a full-page screenshot
saved as {out}/{prefix}-{name}.png.

Usage:
    python scripts/chat_screenshots.py --base-url http://127.0.0.1:8765 \
        --out docs/screenshots/issue17 --prefix before
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

# (file name part, question)
QUESTIONS: list[tuple[str, str]] = [
    ("citizen", "科学素质行动跟咱老百姓有啥关系"),
    ("rural", "俺娃拉肚子拉了两天了咋整"),
    ("staff", "教育部负责哪些工作"),
]

PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run"]
ANSWERS = "#log > .a:not(.pending)"  # a finished answer (a streamed one is .pending until its final event)
TIMEOUT_MS = 60_000  # one answer; the first question may also warm the server's caches


def find_chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        sys.exit("chromium not found on PATH (Debian: apt-get install chromium)")
    return path


def shoot(browser, base_url: str, question: str, path: Path) -> str:  # type: ignore[no-untyped-def]
    """Ask one question on a fresh phone-sized page, save a full-page screenshot, return the answer text."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(base_url.rstrip("/") + "/")
        # the page sets data-streaming once /api/config says whether a model is configured; asking
        # before that could take the wrong path (plain POST vs. streamed)
        page.locator("#ask-form[data-streaming]").wait_for(state="attached")
        answers = page.locator(ANSWERS)
        n = answers.count()
        page.fill("#question", question)
        page.press("#question", "Enter")
        answer = answers.nth(n)
        answer.wait_for()
        page.locator("#send:not([disabled])").wait_for(state="attached")  # the page is done with the request
        page.evaluate("document.fonts.ready.then(() => true)")
        # The input form is position: sticky at the bottom of the screen. A full-page capture paints it
        # where it sits at the current scroll position, i.e. over the end of the answer; scrolled to the
        # very end it sits in its own place below the log and hides nothing. Blurring drops the focus ring.
        page.locator("#question").blur()
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        page.wait_for_function(
            "Math.ceil(window.scrollY + window.innerHeight) >= document.documentElement.scrollHeight - 1"
        )
        page.screenshot(path=str(path), full_page=True)
        classes = answer.get_attribute("class") or ""
        return f"[{classes}] " + answer.inner_text()
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base-url", required=True, help="the running server, e.g. http://127.0.0.1:8765")
    p.add_argument("--out", required=True, type=Path, help="directory for the PNG files")
    p.add_argument("--prefix", required=True, choices=["before", "after"], help="file name prefix")
    args = p.parse_args(argv)

    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    errors = 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(), headless=True, args=CHROMIUM_ARGS)
        try:
            for name, question in QUESTIONS:
                path = args.out / f"{args.prefix}-{name}.png"
                text = shoot(browser, args.base_url, question, path)
                errors += text.startswith("[a error")
                print(f"== {path}\nQ: {question}\n{text}\n")
        finally:
            browser.close()
    if errors:
        print(f"{errors} answer(s) were page errors (network or server), not answers", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
