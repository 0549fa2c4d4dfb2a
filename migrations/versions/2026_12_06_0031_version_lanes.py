"""process_definitions.lanes: each deployed version keeps its lane mapping (issue 22)

A lane's role and unit rule are drawn on the lane in the designer and stored with the version
at deploy ({process key: {lane: rule}}); config.yaml `lanes:` stays the fallback for a lane the
file does not map. Versions deployed before this release copy today's config.yaml mapping of
every process they hold (their own key and the processes they call), so that their running
cases keep being offered to the same people when config.yaml changes later.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 03:30:00
"""
import sqlalchemy as sa
from alembic import op
from lxml import etree

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

_BPMN = {'bpmn': 'http://www.omg.org/spec/BPMN/20100524/MODEL'}


def _process_ids(xml: str) -> set[str]:
    """The processes a stored file defines (a frozen copy of what the parser reads)."""
    try:
        root = etree.fromstring(xml.encode('utf-8'),
                                etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return set()
    return {p.get('id') for p in root.xpath('./bpmn:process', namespaces=_BPMN)}


def upgrade() -> None:
    from engine.config import load_settings
    from engine.db import JSONType

    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lanes', JSONType, nullable=True))
    configured = dict(load_settings().get('lanes', default=None) or {})
    if not configured:
        return
    definitions = sa.table('process_definitions', sa.column('id', sa.Integer),
                           sa.column('key', sa.String), sa.column('source_checksum', sa.String),
                           sa.column('dependency_checksums', JSONType),
                           sa.column('lanes', JSONType))
    sources = sa.table('bpmn_sources', sa.column('checksum', sa.String),
                       sa.column('xml', sa.Text))
    bind = op.get_bind()
    ids_of: dict[str, set[str]] = {}

    def processes_in(checksum: str) -> set[str]:
        if checksum not in ids_of:
            xml = bind.execute(sa.select(sources.c.xml)
                               .where(sources.c.checksum == checksum)).scalar()
            ids_of[checksum] = _process_ids(xml) if xml else set()
        return ids_of[checksum]

    updates = []
    for row in bind.execute(sa.select(definitions).order_by(definitions.c.id)).mappings():
        keys = {row['key']}
        for checksum in [row['source_checksum'], *(row['dependency_checksums'] or [])]:
            keys |= processes_in(checksum)
        pinned = {key: _plain(configured[key]) for key in sorted(keys) if configured.get(key)}
        if pinned:
            updates.append({'b_id': row['id'], 'lanes': pinned})
    if updates:
        bind.execute(definitions.update().where(definitions.c.id == sa.bindparam('b_id'))
                     .values(lanes=sa.bindparam('lanes')), updates)


def _plain(lanes) -> dict:
    """A lane mapping as plain JSON (the settings hold read-only mappings)."""
    return {str(lane): {str(k): str(v) for k, v in dict(rule).items() if v is not None}
            for lane, rule in dict(lanes).items()}


def downgrade() -> None:
    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.drop_column('lanes')
