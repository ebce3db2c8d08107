"""Policies users track: who may see and change them, and the checks on what they name.

Users see and change their own policies; admins see and change all. Someone else's policy is
answered as not found, so its existence is not revealed.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_analytics import repository
from chiiki_analytics.models import Policy
from chiiki_analytics.schemas import PolicyCreate, PolicyRead, PolicyUpdate
from chiiki_analytics.stats_client import StatsClient
from chiiki_shared.errors import NotFound, UnprocessableInput
from chiiki_shared.pagination import decode_time_id, time_id_key
from chiiki_shared.security import Principal


def read(policy: Policy) -> PolicyRead:
    return PolicyRead(
        id=policy.id,
        owner_id=policy.owner_id,
        name=policy.name,
        region=policy.region_code,
        start_period=policy.start_period,
        target_indicators=list(policy.target_indicators),
        description=policy.description,
        created_at=policy.created_at,
        updated_at=policy.updated_at,
    )


async def check_references(client: StatsClient, region: str, indicators: list[str]) -> None:
    """404 naming the region or indicator stats does not know."""
    await client.region(region)  # alone first, as in data.load_panel
    await asyncio.gather(*(client.indicator(code) for code in indicators))


async def create(
    session: AsyncSession, client: StatsClient, principal: Principal, body: PolicyCreate
) -> Policy:
    await check_references(client, body.region, body.target_indicators)
    policy = Policy(
        owner_id=principal.user_id,
        name=body.name,
        region_code=body.region,
        start_period=body.start_period,
        target_indicators=body.target_indicators,
        description=body.description,
    )
    return await repository.add_policy(session, policy)


async def visible(session: AsyncSession, principal: Principal, policy_id: uuid.UUID) -> Policy:
    policy = await repository.get_policy(session, policy_id)
    if policy is None or not (principal.is_admin or policy.owner_id == principal.user_id):
        raise NotFound(f"No policy with id {policy_id}", extra={"resource": "policy"})
    return policy


async def update(
    session: AsyncSession,
    client: StatsClient,
    principal: Principal,
    policy_id: uuid.UUID,
    body: PolicyUpdate,
) -> Policy:
    policy = await visible(session, principal, policy_id)
    changes = body.model_dump(exclude_unset=True)
    if any(value is None for value in changes.values()):
        raise UnprocessableInput("A policy's fields cannot be set to null")
    if "region" in changes or "target_indicators" in changes:
        await check_references(
            client,
            changes.get("region", policy.region_code),
            changes.get("target_indicators", policy.target_indicators),
        )
    for field, value in changes.items():
        setattr(policy, "region_code" if field == "region" else field, value)
    await session.flush()
    await session.refresh(policy)
    return policy


async def page(
    session: AsyncSession,
    principal: Principal,
    *,
    mine: bool,
    limit: int,
    cursor: str | None,
) -> tuple[list[PolicyRead], list[Any] | None]:
    """A page of the policies ``principal`` may see (an admin: everyone's unless ``mine``) and
    the sort key of its last one when more follow."""
    owner = None if principal.is_admin and not mine else principal.user_id
    after = decode_time_id(cursor) if cursor is not None else None
    rows, more = await repository.list_policies(session, owner_id=owner, limit=limit, after=after)
    last = time_id_key(rows[-1].created_at, rows[-1].id) if more and rows else None
    return [read(policy) for policy in rows], last


async def delete(session: AsyncSession, principal: Principal, policy_id: uuid.UUID) -> None:
    await repository.delete_policy(session, await visible(session, principal, policy_id))
