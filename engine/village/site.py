"""The static public site of disclosure items: HTML pages, an Atom feed (RFC 4287) and a JSON
Feed (version 1.1) for every township and every village, plus a page per item. Pure rendering:
the same items give the same bytes (the preview and the export share it)."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape

from lxml import etree

ATOM = "http://www.w3.org/2005/Atom"
KIND_NAMES = {"decision": "决策公开", "result": "结果公开", "statistics": "统计数据",
              "typical_case": "典型案例通报"}
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

STYLE = ("body{font-family:sans-serif;max-width:46rem;margin:0 auto;padding:1rem;line-height:1.6}"
         "a{color:#0b5394}li{margin:.4rem 0}.meta{color:#555;font-size:.9rem}"
         "h1{font-size:1.4rem}h2{font-size:1.15rem}")


def accused_shown(item) -> str:
    """The accused as published: named only for 点名通报, else the surname and 某."""
    name = (item.accused_name or "").strip()
    if not name:
        return ""
    return name if item.name_publicly else name[0] + "某"


def _page(title: str, body: str, *, depth: int, feeds: bool = False) -> bytes:
    up = "../" * depth
    links = ('<link rel="alternate" type="application/atom+xml" href="feed.atom">'
             '<link rel="alternate" type="application/feed+json" href="feed.json">') if feeds else ""
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)}</title>{links}<style>{STYLE}</style></head><body>"
            f"<p class=\"meta\"><a href=\"{up}index.html\">首页</a></p>{body}</body></html>\n"
            ).encode()


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{escape(line)}</p>" for line in text.splitlines() if line.strip())


def _item_html(item, unit_name: str) -> str:
    accused = accused_shown(item)
    return (f"<p class=\"meta\">{escape(KIND_NAMES[item.kind])} · {escape(unit_name)}</p>"
            + (f"<p>被通报人：{escape(accused)}</p>" if accused else "")
            + _paragraphs(item.body))


def _list(items, units, *, depth: int) -> str:
    if not items:
        return "<p>暂无公开事项。</p>"
    up = "../" * depth
    return "<ul>" + "".join(
        f"<li><a href=\"{up}items/{escape(i.number)}.html\">{escape(i.title)}</a> "
        f"<span class=\"meta\">{escape(KIND_NAMES[i.kind])} · {escape(units[i.unit_id].name)} · "
        f"{i.approved_at.date().isoformat()}</span></li>" for i in items) + "</ul>"


def _atom(items, units, *, title: str, base: str, path: str, updated: datetime) -> bytes:
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    etree.SubElement(feed, f"{{{ATOM}}}id").text = base + path + "feed.atom"
    etree.SubElement(feed, f"{{{ATOM}}}title").text = title
    etree.SubElement(feed, f"{{{ATOM}}}updated").text = updated.isoformat()
    author = etree.SubElement(feed, f"{{{ATOM}}}author")
    etree.SubElement(author, f"{{{ATOM}}}name").text = title
    etree.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=base + path + "feed.atom")
    etree.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=base + path + "index.html")
    for i in items:
        entry = etree.SubElement(feed, f"{{{ATOM}}}entry")
        url = f"{base}items/{i.number}.html"
        etree.SubElement(entry, f"{{{ATOM}}}id").text = url
        etree.SubElement(entry, f"{{{ATOM}}}title").text = i.title
        etree.SubElement(entry, f"{{{ATOM}}}updated").text = i.approved_at.isoformat()
        etree.SubElement(entry, f"{{{ATOM}}}published").text = i.approved_at.isoformat()
        etree.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=url)
        etree.SubElement(entry, f"{{{ATOM}}}category", term=i.kind, label=KIND_NAMES[i.kind])
        content = etree.SubElement(entry, f"{{{ATOM}}}content", type="html")
        content.text = _item_html(i, units[i.unit_id].name)
    return etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _json_feed(items, units, *, title: str, base: str, path: str) -> bytes:
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": title,
            "home_page_url": base + path + "index.html", "feed_url": base + path + "feed.json",
            "language": "zh-CN", "authors": [{"name": title}],
            "items": [{"id": f"{base}items/{i.number}.html", "url": f"{base}items/{i.number}.html",
                       "title": i.title, "content_html": _item_html(i, units[i.unit_id].name),
                       "date_published": i.approved_at.isoformat(), "tags": [KIND_NAMES[i.kind]]}
                      for i in items]}
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _under(unit, top) -> bool:
    return unit.path.startswith(top.path)


def build(items, units: dict, *, settings: dict, local) -> dict[str, bytes]:
    """path → bytes of every file of the site. `items`: approved, newest first; `units`: id →
    unit; `local`: UTC → local time (dates on the pages)."""
    base = settings["base_url"].rstrip("/") + "/"
    site_title = settings["site_title"]
    files: dict[str, bytes] = {}
    towns = sorted((u for u in units.values() if u.kind == "township" and u.active),
                   key=lambda u: u.code)
    for i in items:
        unit = units[i.unit_id]
        files[f"items/{i.number}.html"] = _page(
            i.title, f"<h1>{escape(i.title)}</h1>"
            f"<p class=\"meta\">发布日期：{local(i.approved_at).date().isoformat()}</p>"
            + _item_html(i, unit.name), depth=1)
    index = [f"<h1>{escape(site_title)}</h1><ul>"]
    for town in towns:
        villages = sorted((u for u in units.values() if u.kind == "village" and u.active
                           and u.parent_id == town.id), key=lambda u: u.code)
        places = [(town, f"{town.code}/", 1), *((v, f"{town.code}/{v.code}/", 2)
                                                 for v in villages)]
        index.append(f"<li><a href=\"{town.code}/index.html\">{escape(town.name)}</a></li>")
        for unit, path, depth in places:
            mine = [i for i in items if _under(units[i.unit_id], unit)]
            title = f"{unit.name} · {site_title}"
            updated = max((i.approved_at for i in mine), default=EPOCH)
            below = "".join(f"<li><a href=\"{v.code}/index.html\">{escape(v.name)}</a></li>"
                            for v in villages) if unit is town else ""
            files[path + "index.html"] = _page(
                title, f"<h1>{escape(title)}</h1>"
                f"<p class=\"meta\"><a href=\"feed.atom\">Atom</a> · "
                f"<a href=\"feed.json\">JSON Feed</a></p>"
                + (f"<h2>村</h2><ul>{below}</ul>" if below else "")
                + "<h2>公开事项</h2>" + _list(mine, units, depth=depth), depth=depth, feeds=True)
            files[path + "feed.atom"] = _atom(mine, units, title=title, base=base, path=path,
                                              updated=updated)
            files[path + "feed.json"] = _json_feed(mine, units, title=title, base=base,
                                                   path=path)
    index.append("</ul>")
    files["index.html"] = _page(site_title, "".join(index), depth=0)
    return files
