"""the time of a post's last edit (posts.edited_at)

Mastodon edits a status in place (same id, a later `edited_at`): `posts.edited_at` says which
edit the stored text is, so a copy edited later replaces it and an older one does not. It
starts empty (NULL: not known to be edited), so the upgrade is instant; the downgrade drops
the column and leaves the text as it is.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('posts', sa.Column('edited_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        bind.exec_driver_sql('ALTER TABLE posts DROP COLUMN edited_at')  # SQLite 3.35+
    else:
        op.drop_column('posts', 'edited_at')
