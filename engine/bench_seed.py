"""`cluedesk bench-seed`: many open tasks for the benchmarks, written with bulk SQL (not the API).

Each seeded task is a whole small matter: a petition, its open case, a running process instance,
the open task in the inbox and its open deadline. Tasks are spread over every unit that has
people (townships, offices, zones, commissions), offered to caseworkers or supervisors, and are
one third each green, yellow and red at the application clock. Each petition and case has its
search-index entry (its terms made as the application makes them), so the search page and the
inbox's search find the seeded matters. The rows are generated inside the
database (`generate_series` on PostgreSQL, a recursive CTE on SQLite), in chunks, so a million
tasks take minutes, not hours. The instances hold no workflow state: they exist for the inbox and
the deadline rows, and `cluedesk check` reports them as not deserializing.

With `people=True` (`--with-accused`) every petition also names an accused village cadre: one of
30,000 invented cadres (about 33 petitions each at a million), in one of 1,600 villages, with a
matter that varies between petitions, and the petition's repeat-check keys (`repeat_keys`,
spelled in SQL exactly as `engine.petitions.similarity.index_keys` spells them; the bench-seed
test compares the two), so the repeat check can be measured on a realistic table.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, UTC

from sqlalchemy import text

from engine.petitions.words import normalize
from engine.runtime import Runtime
from engine.reports import rollup
from engine.search import terms

PROCESS_KEY = "bench_seed"
CHUNK = 100_000
UNIT_KINDS = ("township", "office", "zone", "commission")

# The invented cadres of `people=True`: surname, given-name characters (disjoint from each
# other and from the surnames, and never forming a title such as 书记, so every seeded name's
# keys are distinct), posts with the kind of post their keys store, village words.
CADRES = 30_000
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶"
            "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史")
GIVEN_1 = "国建明华军平志伟永海春德红玉秀英兰桂芳丽敏强勇刚涛斌宏辉新凤"
GIVEN_2 = "东荣庆光利福祥生成才"
POSTS = (("村党支部书记", "书记"), ("村委会主任", "主任"), ("村会计", "会计"),
         ("村委会委员", "委员"), ("村民小组长", "组长"), ("村文书", "文书"),
         ("村监委会主任", "主任"))
VILLAGE_1 = "红青石柳新三马龙白杨河双杏南花上永坪桥黄大沙团光胜长清东西北中金银竹松桂莲凤梅兴"
VILLAGE_2 = "岭湾坝沟山口塘坪岗桥庄湖冲寨营店铺园林泉溪川洲坡源田垭堡屯场井台圩埠滩洼垸畈峪"
MATTERS = ("虚报低保户名单，套取低保资金", "截留耕地地力保护补贴", "把村集体土地私自租给亲戚，租金没有入账",
           "在征地中虚报地上附着物，多领补偿款", "把村道硬化工程交给小舅子承建，没有招标",
           "用村集体资金大吃大喝", "在换届中给选民送钱拉票", "办理危房改造要收好处费",
           "挪用扶贫产业奖补资金", "在村里聚众赌博抽头", "优亲厚友，把养老补贴发给自家人",
           "强揽砂石运输生意", "账目从来不公开，集体资金去向不明", "冒领已故村民的养老金")
AMOUNTS = ("三千", "五千", "八千", "一万二", "两万", "三万五", "六万", "十二万")
DETAILS = ("群众多次反映没有结果", "已经拖了半年", "去年就有人举报过", "村务公开栏从来不公布",
           "还威胁知情人", "钱用来还了个人贷款")


def seed(runtime: Runtime, tasks: int, *, progress: Callable[[int], None] | None = None,
         people: bool = False) -> int:
    """Add `tasks` open tasks with their cases, petitions, instances and deadlines; return it.
    `people`: each petition names an accused cadre and has its repeat-check keys."""
    now = runtime.clock.now()
    sql = _Sql(runtime.engine.dialect.name, now)
    with runtime.engine.begin() as conn:
        rows = conn.execute(text(
            "SELECT u.id, u.code FROM units u WHERE u.active AND u.kind IN ('township', "
            "'office', 'zone', 'commission') AND EXISTS (SELECT 1 FROM users p WHERE "
            "p.unit_id = u.id) ORDER BY u.id")).all()
        units = [row[0] for row in rows]
        # The township key's spelling of each unit (index_keys normalizes the unit's code).
        towns = [normalize(row[1]) for row in rows]
        clerk = conn.execute(text("SELECT id FROM users ORDER BY id LIMIT 1")).scalar()
        if not units or clerk is None:
            raise RuntimeError("no organisation: run `cluedesk demo` (or create units and users)")
        definition = _definition(conn, sql)
        base = conn.execute(text("SELECT coalesce(max(id), 0) FROM cases")).scalar()
        base = max(base, conn.execute(text("SELECT coalesce(max(id), 0) FROM petitions"))
                   .scalar())
    salt = secrets.token_hex(4)
    done = 0
    while done < tasks:
        size = min(CHUNK, tasks - done)
        with runtime.engine.begin() as conn:
            _chunk(conn, sql, first=base + done + 1, size=size, units=units, clerk=clerk,
                   definition=definition, salt=salt, people=people)
            if people:
                _people(conn, sql, first=base + done + 1, size=size, towns=towns)
            _index(conn, first=base + done + 1, size=size, sqlite=not sql.postgres)
        done += size
        if progress:
            progress(done)
    with runtime.engine.begin() as conn:
        if sql.postgres:
            for table in ("cases", "petitions", "deadlines", "search_entries"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
    # Bulk SQL passes the statistics rollup by (it counts what sessions commit): recount it.
    runtime.transact(lambda uow: rollup.rebuild(uow.session, runtime.clock.tz.key, now=now))
    return tasks


class _Sql:
    """The few expressions that PostgreSQL and SQLite spell differently."""

    def __init__(self, dialect: str, now: datetime):
        self.postgres = dialect == "postgresql"
        self.now = now

    def series(self, first: int, size: int) -> str:
        last = first + size - 1
        if self.postgres:
            return f"generate_series({first}, {last}) AS s(i)"
        return (f"(WITH RECURSIVE s(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM s "
                f"WHERE i < {last}) SELECT i FROM s) AS s")

    def at(self, seconds: str) -> str:
        """The application clock's now plus `seconds` (an SQL expression)."""
        if self.postgres:
            return f"(timestamptz '{self.now.isoformat()}' + ({seconds}) * interval '1 second')"
        utc = self.now.astimezone(UTC)
        return f"datetime('{utc:%Y-%m-%d %H:%M:%S}', printf('%+d seconds', {seconds}))"

    def pick(self, values: list, index: str) -> str:
        """values[index % len(values)] as SQL."""
        whens = " ".join(f"WHEN {n} THEN {v!r}" if isinstance(v, str) else f"WHEN {n} THEN {v}"
                         for n, v in enumerate(values))
        return f"(CASE ({index}) % {len(values)} {whens} END)"

    def uuid(self, salt: str, kind: str) -> str:
        """A UUID-shaped id, unique per seed run (salt), kind and row."""
        hex_i = "lpad(to_hex(i), 12, '0')" if self.postgres else "printf('%012x', i)"
        return f"('{salt}-{kind}-4000-8000-' || {hex_i})"

    @property
    def true(self) -> str:
        return "true" if self.postgres else "1"

    @property
    def false(self) -> str:
        return "false" if self.postgres else "0"


def _definition(conn, sql: _Sql) -> int:
    """The placeholder process definition the seeded instances belong to."""
    found = conn.execute(text("SELECT id FROM process_definitions WHERE key = :k"),
                         {"k": PROCESS_KEY}).scalar()
    if found:
        return found
    now = sql.at("0")
    conn.execute(text("INSERT INTO bpmn_sources (checksum, file_name, xml, created_at) "
                      f"SELECT '{PROCESS_KEY}', 'bench_seed.bpmn', '', {now} WHERE NOT EXISTS "
                      f"(SELECT 1 FROM bpmn_sources WHERE checksum = '{PROCESS_KEY}')"))
    conn.execute(text(
        "INSERT INTO process_definitions (key, name, version, checksum, source_checksum, "
        "dependency_checksums, spec_checksum, deployed_at, deployed_by, comment) VALUES "
        f"('{PROCESS_KEY}', 'bench seed', 1, '{PROCESS_KEY}', '{PROCESS_KEY}', '[]', "
        f"'{PROCESS_KEY}', {now}, 'bench-seed', 'placeholder for seeded instances')"))
    return conn.execute(text("SELECT id FROM process_definitions WHERE key = :k"),
                        {"k": PROCESS_KEY}).scalar()


def _index(conn, *, first: int, size: int, sqlite: bool) -> None:
    """The search-index entries of rows first .. first+size-1 (a petition's and its case's),
    their terms made as `engine.search.index.entry_of` makes them (and FTS5 rows on SQLite)."""
    last = first + size - 1
    petitions = conn.execute(text(
        "SELECT p.id, p.number, p.case_id, p.unit_id, p.received_at, p.village, p.content, "
        "a.name, a.post, a.unit, t.name FROM petitions p "
        "LEFT JOIN accused_persons a ON a.petition_id = p.id "
        "LEFT JOIN units t ON t.id = p.township_id WHERE p.id BETWEEN :first AND :last"),
        {"first": first, "last": last}).all()
    cases = conn.execute(text(
        "SELECT id, number, coalesce(handling_unit_id, registered_unit_id), created_at "
        "FROM cases WHERE id BETWEEN :first AND :last"), {"first": first, "last": last}).all()
    next_id = (conn.execute(text("SELECT coalesce(max(id), 0) FROM search_entries")).scalar()
               + 1)
    entries = [{"kind": "petition", "ref": r[0], "case": r[2], "unit": r[3], "at": r[4],
                "terms": terms.document(r[1], r[7], r[8], r[9], r[10], r[5], r[6])}
               for r in petitions]
    entries += [{"kind": "case", "ref": r[0], "case": r[0], "unit": r[2], "at": r[3],
                 "terms": terms.document(r[1])} for r in cases]
    for number, entry in enumerate(entries):
        entry["id"] = next_id + number
    conn.execute(text(
        "INSERT INTO search_entries (id, kind, ref_id, case_id, unit_id, terms, updated_at) "
        "VALUES (:id, :kind, :ref, :case, :unit, :terms, :at)"), entries)
    if sqlite:
        conn.execute(text("INSERT INTO search_fts (rowid, terms) VALUES (:id, :terms)"), entries)


def _chunk(conn, sql: _Sql, *, first: int, size: int, units: list[int], clerk: int,
           definition: int, salt: str, people: bool = False) -> None:
    """Rows first .. first+size-1 of every table."""
    series = sql.series(first, size)
    if people:
        cadre = _cadre_sql(sql)
        village, content = cadre["village"], cadre["content"]
    else:
        village, content = "'东村'", "'东村村委会主任虚报低保户名单，套取低保资金。'"
    unit = sql.pick(units, "i")
    role = sql.pick(["caseworker", "caseworker", "supervisor"], "i / 7")
    # Thirds: red (overdue 1-20 days), yellow (due in 1-2 days, warned), green (10-39 days).
    colour = f"(i / {len(units)}) % 3"
    due = (f"CASE {colour} WHEN 0 THEN -86400 * (1 + i % 20) "
           f"WHEN 1 THEN 86400 * (1 + i % 2) ELSE 86400 * (10 + i % 30) END")
    warn = (f"CASE {colour} WHEN 1 THEN -3600 * (1 + i % 24) "
            f"ELSE 86400 * (CASE {colour} WHEN 0 THEN -(4 + i % 20) ELSE 7 + i % 30 END) END")
    # Received over 30 days, 97 s apart in turn. (With the day `i % 30`, a matter `i % 14` and a
    # role `i / 7 % 3`, one day's petitions about one matter all had one role: a township's
    # caseworkers had none of the newest 50,000 petitions about 挪用, which no agency sees;
    # bench/RESULTS.md, issue 21.)
    created = sql.at("-(86400 * 25 + (i * 97) % (86400 * 30))")
    instance, task = sql.uuid(salt, "0001"), sql.uuid(salt, "0002")
    conn.execute(text(
        "INSERT INTO cases (id, number, status, process_key, instance_id, registered_unit_id, "
        "created_at, first_handling_unit_id, handling_unit_id, people_disciplined) "
        f"SELECT i, 'BENCH-{salt}-C' || i, 'open', '{PROCESS_KEY}', {instance}, {unit}, "
        f"{created}, {unit}, {unit}, 0 FROM {series}"))
    conn.execute(text(
        "INSERT INTO petitions (id, number, case_id, channel, received_at, registered_at, "
        "registered_by_id, unit_id, anonymous, township_id, village, category, content, status, "
        "sealed, updated_at, no_accused_reason) "
        f"SELECT i, 'BENCH-{salt}-P' || i, i, 'letter', {created}, {created}, {clerk}, {unit}, "
        f"{sql.false}, {unit}, {village}, 'other', {content}, "
        f"'accepted', {sql.false}, {created}, '举报人未提供被反映人姓名' FROM {series}"))
    conn.execute(text(
        "INSERT INTO process_instances (id, definition_id, process_key, version, status, "
        "case_id, created_at, updated_at, state, serializer_version, revision, data) "
        f"SELECT {instance}, {definition}, '{PROCESS_KEY}', 1, 'running', i, {created}, "
        f"{created}, '', 'cluedesk-1', 1, '{{}}' FROM {series}"))
    conn.execute(text(
        "INSERT INTO tasks (id, instance_id, case_id, process_key, element_id, name, lane, kind, "
        "status, candidate_unit_id, candidate_role, created_at, due_at, warn_at, deadline_key, "
        "version, properties) "
        f"SELECT {task}, {instance}, i, '{PROCESS_KEY}', 'review', '初核审查', '承办人', 'user', "
        f"'open', {unit}, {role}, {created}, {sql.at(due)}, {sql.at(warn)}, "
        f"'preliminary_verification', 1, '{{}}' FROM {series}"))
    conn.execute(text(
        "INSERT INTO deadlines (key, case_id, instance_id, task_id, unit_id, started_at, amount, "
        "unit, extensions, suspended_seconds, due_at, warn_at, status, updated_at) "
        f"SELECT 'preliminary_verification', i, {instance}, {task}, {unit}, {created}, 3, "
        f"'months', '[]', 0, {sql.at(due)}, {sql.at(warn)}, 'open', {created} FROM {series}"))


def _cadre_sql(sql: _Sql) -> dict[str, str]:
    """SQL expressions (of the row number `i`) for the accused cadre of `people=True`."""
    cadre = f"(((i % {CADRES}) * 7919) % {CADRES})"  # no int4 overflow on PostgreSQL
    out = {"cadre": cadre, "surname": sql.pick(list(SURNAMES), cadre),
           "given_1": sql.pick(list(GIVEN_1), f"{cadre} / {len(SURNAMES)}"),
           "given_2": sql.pick(list(GIVEN_2), f"{cadre} / {len(SURNAMES) * len(GIVEN_1)}"),
           "three": f"{cadre} % 4 <> 0",  # three of four names have three characters
           "post": sql.pick([p for p, _ in POSTS], cadre),
           "post_key": sql.pick([k for _, k in POSTS], cadre)}
    out["name"] = (f"(CASE WHEN {out['three']} THEN {out['surname']} || {out['given_1']} || "
                   f"{out['given_2']} ELSE {out['surname']} || {out['given_1']} END)")
    village_no = f"(({cadre} * 7) % {len(VILLAGE_1) * len(VILLAGE_2)})"
    out["place"] = (f"({sql.pick(list(VILLAGE_1), village_no)} || "
                    f"{sql.pick(list(VILLAGE_2), f'{village_no} / {len(VILLAGE_1)}')})")
    out["village"] = f"({out['place']} || '村')"
    out["content"] = (
        f"({out['village']} || {out['post']} || {out['name']} || "
        f"{sql.pick(list(MATTERS), 'i')} || '，涉及' || "
        f"{sql.pick(list(AMOUNTS), f'i / {len(MATTERS)}')} || '元，' || "
        f"{sql.pick(list(DETAILS), f'i / {len(MATTERS) * len(AMOUNTS)}')} || '。')")
    return out


def _people(conn, sql: _Sql, *, first: int, size: int, towns: list[str]) -> None:
    """The accused cadre and the repeat-check keys of rows first .. first+size-1 (whose village
    and content `_chunk` wrote from the same expressions)."""
    series = sql.series(first, size)
    c = _cadre_sql(sql)
    conn.execute(text(
        "INSERT INTO accused_persons (petition_id, name, post, unit, level) "
        f"SELECT i, {c['name']}, {c['post']}, {c['village']} || '委会', 'village' FROM {series}"))
    keys = [f"'v|' || {c['place']}", f"'s|' || {c['place']} || '|' || {c['surname']}",
            f"'p|' || {c['place']} || '|' || {c['post_key']}", f"'n|' || {c['name']}"]
    town = sql.pick(towns, "i")  # the petition's township_id is the unit picked by `i` too
    keys += [f"'ts|' || {town} || '|' || {c['surname']}",
             f"'tp|' || {town} || '|' || {c['post_key']}"]
    for key in keys:
        conn.execute(text(f"INSERT INTO repeat_keys (key, petition_id) SELECT {key}, i "
                          f"FROM {series}"))
    for variant in (f"{c['given_1']} || {c['given_2']}", f"{c['surname']} || {c['given_2']}",
                    f"{c['surname']} || {c['given_1']}"):
        conn.execute(text(f"INSERT INTO repeat_keys (key, petition_id) SELECT 'n|' || "
                          f"{variant}, i FROM {series} WHERE {c['three']}"))
