"""The web app for story submission, review and the campaign dashboard (`knowvember serve`)."""

from __future__ import annotations

from knowvember.web.app import create_app, create_app_from_env

__all__ = ["create_app", "create_app_from_env"]
