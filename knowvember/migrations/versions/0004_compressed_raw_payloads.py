"""raw payloads may be stored compressed (posts.raw_z, raw_dictionaries)

A big import compresses each post's raw payload against a zstd dictionary trained on the
file (see `knowvember.payloads`): `posts.raw_z` holds the frame and `raw_dictionaries` the
dictionaries, by the id each frame names. Existing posts keep their text in `raw`; nothing
is rewritten, so the upgrade is instant. The downgrade gives every compressed payload back
as text before dropping the column, so no payload is lost either way.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
import logging

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

log = logging.getLogger('knowvember.migrations')

BATCH = 5_000


def upgrade() -> None:
    op.create_table(
        'raw_dictionaries',
        sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_raw_dictionaries')),
    )
    op.add_column('posts', sa.Column('raw_z', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    bind = op.get_bind()
    _inflate(bind)
    if bind.dialect.name == 'sqlite':
        bind.exec_driver_sql('ALTER TABLE posts DROP COLUMN raw_z')  # SQLite 3.35+
    else:
        op.drop_column('posts', 'raw_z')
    op.drop_table('raw_dictionaries')


def _inflate(bind: sa.engine.Connection) -> None:
    """Write each compressed payload back into `raw` as text, a batch at a time."""
    total = bind.exec_driver_sql(
        'SELECT count(*) FROM posts WHERE raw_z IS NOT NULL').scalar() or 0
    if not total:
        return
    import zstandard

    log.warning('giving back %d compressed raw payloads as text', total)
    dictionaries = {int(i): zstandard.ZstdDecompressor(
        dict_data=zstandard.ZstdCompressionDict(bytes(data)))
        for i, data in bind.exec_driver_sql('SELECT id, data FROM raw_dictionaries')}
    plain = zstandard.ZstdDecompressor()
    posts = sa.table('posts', sa.column('id', sa.Integer), sa.column('raw', sa.Text),
                     sa.column('raw_z', sa.LargeBinary))
    last = 0
    while True:
        rows = bind.execute(sa.select(posts.c.id, posts.c.raw_z)
                            .where(posts.c.id > last, posts.c.raw_z.is_not(None))
                            .order_by(posts.c.id).limit(BATCH)).all()
        if not rows:
            return
        values = []
        for post_id, frame in rows:
            frame = bytes(frame)
            dict_id = zstandard.get_frame_parameters(frame).dict_id
            decompressor = dictionaries[dict_id] if dict_id else plain
            values.append({'b_id': post_id, 'b_raw': decompressor.decompress(frame).decode()})
        bind.execute(posts.update().where(posts.c.id == sa.bindparam('b_id'))
                     .values(raw=sa.bindparam('b_raw'), raw_z=None), values)
        last = rows[-1][0]
