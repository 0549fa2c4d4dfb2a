"""display_numbers: a readable number on every numbered record, existing ones numbered

Petitions, cases, clues, inspections, findings and interference entries get `display_number`
(甲镇纪委〔2026〕线索12号), built from what their coded `number` already holds: the unit's code
(shown by the unit's name), the year and the gap-free sequence. New records take the form of
`numbers.format`; existing ones take the default form frozen here.

Revision ID: 0021
Revises: 0013
Create Date: 2026-12-05 12:30:00
"""
import re

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0013'
branch_labels = None
depends_on = None

# Frozen copies (later edits to the glossary or the default never change what this writes).
FORMAT = "{unit}〔{year}〕{kind}{seq}号"
TABLES = {"petitions": "信访", "cases": "案件", "clues": "线索", "inspections": "检查",
          "inspection_findings": "问题", "interference_entries": "干预"}
NUMBER = re.compile(r"^(?P<unit>.+)-(?P<year>\d{4})-[A-Z]?(?P<seq>\d+)$")


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    for table in TABLES:
        if table in existing:
            with op.batch_alter_table(table) as batch:
                batch.add_column(sa.Column("display_number", sa.String(128), nullable=True))
    names = dict(bind.execute(sa.text("SELECT code, name FROM units")).all())
    for table, kind in TABLES.items():
        if table not in existing:
            continue
        rows = bind.execute(sa.text(f"SELECT id, number FROM {table}")).all()
        for row_id, number in rows:
            found = NUMBER.match(number or "")
            if found is None:
                continue  # a number of another form keeps no display form; pages show it as is
            display = FORMAT.format(unit=names.get(found["unit"], found["unit"]),
                                    year=int(found["year"]), kind=kind, seq=int(found["seq"]))
            bind.execute(sa.text(f"UPDATE {table} SET display_number = :d WHERE id = :i"),
                         {"d": display, "i": row_id})


def downgrade() -> None:
    for table in reversed(list(TABLES)):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("display_number")
