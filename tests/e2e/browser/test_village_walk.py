"""Village power in a real browser: 东村's officers take a 四议两公开 decision step by step (the
representatives' first meeting falls short of the quorum and is held again), the supervision
committee checks it, the result is made public; 甲镇's editor writes the disclosure item, the
township head approves it, the editor exports the public site, and the exported files are opened
from the export folder (file://) and as a web server serves them (the feeds behind the pages'
links, valid Atom and JSON Feed), then in the internal preview. Screenshots at desk and phone
width."""
from __future__ import annotations

import contextlib
import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from engine.village import disclosure
from tests.e2e.browser.conftest import login, shot
from tests.feeds import atom_titles, json_feed_titles

TITLE = "浏览器走查：村委会办公楼维修"


def step(page, matter_url: str, name: str, fields: dict) -> None:
    page.goto(matter_url)
    link = page.get_by_test_id("open-task")
    assert link.inner_text() == name
    link.click()
    decided = None
    for field, value in fields.items():
        if isinstance(value, bool) and page.locator(
                f"[data-testid=decision][data-field={field}]").count():
            decided = "decide-yes" if value else "decide-no"  # an approval: 同意 / 退回
        elif isinstance(value, bool):
            page.locator(f"[data-field={field}] input[value={'true' if value else 'false'}]") \
                .check()
        else:
            page.locator(f"#f-{field}").fill(str(value))
    page.get_by_test_id(decided or "complete").click()
    page.get_by_test_id("done").wait_for()


def meeting(present: int, votes_for: int, resolution: str = "同意") -> dict:
    return {"held_on": "2026-03-02", "members": 30, "present": present, "votes_for": votes_for,
            "votes_against": 0, "votes_abstain": 0, "resolution": resolution}


PUBLISH = {"published_from": "2026-03-03", "published_to": "2026-03-09"}


class _Site(SimpleHTTPRequestHandler):
    """A plain static web server, with the charset of the files as a web server is set up."""
    extensions_map = {".html": "text/html; charset=utf-8",
                      ".atom": "application/atom+xml; charset=utf-8",
                      ".json": "application/json; charset=utf-8"}

    def do_GET(self):
        if self.path == "/favicon.ico":  # the agency's website has its own icon
            self.send_response(204)
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, *args):  # no request lines in the test output
        pass


@contextlib.contextmanager
def serve(folder):
    """The folder served over HTTP on a free loopback port, as the public website would."""
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(_Site, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_a_four_two_decision_and_the_exported_pages(live_sqlite, new_page):
    page = new_page(live_sqlite.url)
    login(page, "east-secretary")
    page.goto("/village")
    page.get_by_test_id("start-kind").select_option("four_two")
    page.get_by_test_id("start-title").fill(TITLE)
    with page.expect_navigation():
        page.get_by_test_id("start-submit").click()
    matter_url = page.url
    assert "/village/matters/" in matter_url
    step(page, matter_url, "党支部会提议", meeting(30, 28))
    step(page, matter_url, "两委会商议", meeting(30, 28))
    step(page, matter_url, "党员大会审议", meeting(30, 28))
    step(page, matter_url, "村民代表会议决议", meeting(15, 15, "到会不足三分之二"))
    page.goto(matter_url)
    assert page.get_by_text("不足法定人数，重新召开").is_visible()
    step(page, matter_url, "村民代表会议决议", meeting(24, 20, "同意维修"))
    step(page, matter_url, "表决结果公开", PUBLISH)
    page.goto(matter_url)
    shot(page, "village-matter")

    monitor = new_page(live_sqlite.url)
    login(monitor, "east-monitor")
    step(monitor, matter_url, "村务监督委员会审核", {"check_agreed": True,
                                                   "check_opinion": "程序合规"})
    clerk = new_page(live_sqlite.url, lang="zh-CN")
    login(clerk, "east-clerk")
    step(clerk, matter_url, "组织实施", {"implementation": "维修完成"})
    step(clerk, matter_url, "实施结果公开", PUBLISH)
    clerk.goto(matter_url)
    assert clerk.get_by_test_id("matter-status").inner_text() == "已办结"
    assert clerk.locator("[data-testid=meeting-row]").count() == 5

    # The editor writes the decision's disclosure; the township head approves it.
    editor = new_page(live_sqlite.url)
    login(editor, "a-editor")
    editor.goto("/disclosure")
    editor.get_by_test_id("write-unit").select_option("village-a-east")
    editor.get_by_test_id("write-kind").select_option("decision")
    option = editor.get_by_test_id("write-matter").locator("option", has_text=TITLE)
    editor.get_by_test_id("write-matter").select_option(option.get_attribute("value"))
    editor.get_by_test_id("write-title").fill(TITLE + "决策公开")
    editor.get_by_test_id("write-submit").click()
    editor.get_by_text(TITLE + "决策公开").first.wait_for()
    head = new_page(live_sqlite.url)
    login(head, "a-head")
    head.goto("/inbox")
    head.locator("tr[data-task]").filter(has_text="审核公开信息").first.locator("a").nth(1).click()
    assert head.get_by_test_id("decision").get_attribute("data-field") == "disclosure_approved"
    head.get_by_test_id("decide-yes").click()
    head.get_by_test_id("done").wait_for()

    editor.goto("/disclosure")
    shot(editor, "disclosure")
    editor.get_by_test_id("export").click()
    target = disclosure.export_dir(live_sqlite.runtime)
    assert target.is_relative_to(live_sqlite.public_site)  # a scratch folder, not instance/
    village = target / "town-a" / "village-a-east"
    for _ in range(600):  # the export job, after a job another test left running, if any
        if (village / "feed.atom").exists() and TITLE.encode() in (village / "feed.atom").read_bytes():
            break
        editor.wait_for_timeout(100)
    assert TITLE + "决策公开" in atom_titles((village / "feed.atom").read_bytes())

    # The exported files themselves, opened from the export folder (file://): the village's
    # page lists the item, its link leads to the item's page with the meetings' record.
    public = new_page(live_sqlite.url)
    public.goto((village / "index.html").as_uri())
    assert public.title() == "东村 · 村务公开"
    public.get_by_role("link", name=TITLE + "决策公开", exact=True).click()
    public.get_by_text("村民代表会议决议").first.wait_for()
    assert public.url.startswith((target / "items").as_uri())
    assert public.get_by_role("heading", level=1).inner_text() == TITLE + "决策公开"
    public.goto((target / "index.html").as_uri())
    public.get_by_role("link", name="甲镇纪委", exact=True).click()
    public.get_by_role("link", name="东村", exact=True).click()
    assert public.url == (village / "index.html").as_uri()
    # ... and as a web server serves the folder: the page's feed links give the feeds, valid.
    with serve(target) as site:
        public.goto(f"{site}/town-a/village-a-east/index.html")
        with public.expect_response(lambda r: r.url.endswith("/feed.atom")) as atom:
            public.get_by_role("link", name="Atom", exact=True).click()
        body = atom.value.body()
        assert atom.value.headers["content-type"].startswith("application/atom+xml")
        assert body == (village / "feed.atom").read_bytes()
        assert TITLE + "决策公开" in atom_titles(body)
        public.goto(f"{site}/town-a/village-a-east/index.html")
        with public.expect_response(lambda r: r.url.endswith("/feed.json")) as feed:
            public.get_by_role("link", name="JSON Feed", exact=True).click()
        assert feed.value.body() == (village / "feed.json").read_bytes()
        assert TITLE + "决策公开" in json_feed_titles(feed.value.body())
    # The internal preview shows the same pages.
    editor.goto(live_sqlite.url + "/disclosure/preview/town-a/village-a-east/index.html")
    assert editor.get_by_text(TITLE + "决策公开").is_visible()
    editor.set_viewport_size({"width": 390, "height": 844})
    editor.goto(live_sqlite.url + "/disclosure")
    shot(editor, "disclosure-phone")
