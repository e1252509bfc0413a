"""repair databases made by an early 0001

0001 was changed in place after databases had been made with it: `stories` gained
AUTOINCREMENT (SQLite), `ix_posts_campaign_created` became covering, and `forgotten_accounts`
was added. Such a database is stamped 0001 like a new one, so nothing brought it up to date:
every import and `forget` failed on the missing table, and on SQLite an erased story's id went
to the next story, which then showed the erased story's trail. This revision makes each change
where it is missing (copying every row) and does nothing on a database 0001 made as it is now.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

COVERING = ['campaign_id', 'created_at', 'account_id', 'platform', 'kind', 'likes', 'reposts',
            'replies', 'quotes']


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if 'forgotten_accounts' not in inspector.get_table_names():
        op.create_table('forgotten_accounts',
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('forgotten_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('digest', name=op.f('pk_forgotten_accounts'))
        )
    indexes = {ix['name']: ix['column_names'] for ix in inspector.get_indexes('posts')}
    if indexes.get('ix_posts_campaign_created') != COVERING:
        if 'ix_posts_campaign_created' in indexes:
            op.drop_index('ix_posts_campaign_created', table_name='posts')
        op.create_index('ix_posts_campaign_created', 'posts', COVERING, unique=False)
    if bind.dialect.name == 'sqlite':
        _stories_autoincrement(bind)


def _stories_autoincrement(bind: sa.engine.Connection) -> None:
    """Rebuild `stories` with AUTOINCREMENT, so no erased story's id is given out again."""
    ddl = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'stories'").scalar()
    if ddl is None or 'AUTOINCREMENT' in ddl.upper():
        return
    # Dropping the old table (foreign keys on, inside the migration's transaction) deletes its
    # story_techniques rows through ON DELETE CASCADE: keep them and put them back.
    techniques = bind.exec_driver_sql("SELECT story_id, technique FROM story_techniques").all()
    with op.batch_alter_table('stories', recreate='always',
                              table_kwargs={'sqlite_autoincrement': True}):
        pass
    bind.exec_driver_sql("DELETE FROM story_techniques")
    if techniques:
        bind.execute(sa.text("INSERT INTO story_techniques (story_id, technique) "
                             "VALUES (:story_id, :technique)"),
                     [{'story_id': s, 'technique': t} for s, t in techniques])
    # Ids erased before this upgrade live on only in story_events: never give them out again.
    highest = bind.exec_driver_sql(
        "SELECT MAX(n) FROM (SELECT MAX(id) AS n FROM stories "
        "UNION ALL SELECT MAX(story_id) FROM story_events)").scalar()
    bind.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = 'stories'")
    bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('stories', :seq)"),
                 {'seq': int(highest or 0)})


def downgrade() -> None:
    pass  # the repairs are what 0001 makes today; undoing them would break 0001 databases
