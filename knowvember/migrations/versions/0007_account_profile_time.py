"""when an account's stored profile was seen (accounts.profile_at), where it moved
(accounts.moved_to_id), and the handles it had (accounts.former_handles)

An archive imported after newer data gave an account back its old handle, name and bio: the
store kept whichever record it wrote last. `profile_at` says when the platform showed the
stored profile, so an older record leaves it alone. It starts empty, so the upgrade is
instant: the store takes an empty one as the time of the account's newest stored post (the
best that is known of a profile stored before), the first time a record of the account
comes. `moved_to_id` links a Mastodon account to the one it moved to; `former_handles`
lists the handles a renamed account had, which campaign.toml may still name it by; both
start empty. Nothing is removed; the downgrade drops the columns and leaves every row as
it is.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('accounts', sa.Column('profile_at', sa.DateTime(), nullable=True))
    op.add_column('accounts', sa.Column('moved_to_id', sa.Integer(), nullable=True))
    op.add_column('accounts', sa.Column('former_handles', sa.JSON(), nullable=True))


def downgrade() -> None:
    bind = op.get_bind()
    for column in ('former_handles', 'moved_to_id', 'profile_at'):
        if bind.dialect.name == 'sqlite':
            bind.exec_driver_sql(f'ALTER TABLE accounts DROP COLUMN {column}')  # SQLite 3.35+
        else:
            op.drop_column('accounts', column)
