"""Coordinators' campaign dashboard and per-organisation pages."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from knowvember.web.auth import require_user

router = APIRouter(dependencies=[Depends(require_user)])
