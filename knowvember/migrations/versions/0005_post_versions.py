"""earlier versions of edited posts (post_versions)

X gives each version of an edited post its own id. A post is now stored once, under its
latest version's id, and `post_versions` keeps the ids it had before, each with the row that
holds the post, so an earlier version read again later is not stored as a second post. The
table starts empty: posts stored before this revision are merged when a later version of
them arrives. The downgrade drops the table; the posts themselves are untouched.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'post_versions',
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('platform_id', sa.String(length=512), nullable=False),
        sa.Column('post_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'],
                                name=op.f('fk_post_versions_post_id_posts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('platform', 'platform_id', name=op.f('pk_post_versions')),
        sqlite_with_rowid=False,
    )
    op.create_index('ix_post_versions_post_id', 'post_versions', ['post_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_post_versions_post_id', table_name='post_versions')
    op.drop_table('post_versions')
