"""Finding people from their Teams identity and linking them; Directory also remembers their chats (conversations.py) and reads calendars (calendars.py)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import ColumnElement, bindparam, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.domain.people import Profile, RoleInCohort, TeamsIdentity
from bot.domain.roster import normalise_email
from bot.services.calendars import Calendars
from bot.services.conversations import Conversations
from bot.storage.db import Database
from bot.storage.models import Cohort, Conversation, Membership, Person

log = logging.getLogger(__name__)
DEMO_LEADER_EMAIL = "demo.leder@talentnord.example"


_LEADER, _MENTOR = aliased(Person), aliased(Person)
# Built once: constructing aliases and the statement per call was a visible share of a turn's CPU.
_PROFILE_COLUMNS = (
    Person.id,
    Person.email,
    Person.name,
    Person.organisation,
    Cohort.id,
    Cohort.key,
    Cohort.name,
    Cohort.timezone,
    Membership.role,
    Membership.level,
    _LEADER.name,
    _MENTOR.name,
    Cohort.tenant_id,
)


def _profile_select(*extra: Any) -> Any:
    """A person's rows, one per role (or one with empty role columns), with `extra` columns after."""
    return (
        select(*_PROFILE_COLUMNS, *extra)
        .select_from(Person)
        .outerjoin(Membership, Membership.person_id == Person.id)
        .outerjoin(Cohort, Membership.cohort_id == Cohort.id)
        .outerjoin(_LEADER, Membership.leader_id == _LEADER.id)
        .outerjoin(_MENTOR, Membership.mentor_id == _MENTOR.id)
        .order_by(Cohort.id, Membership.role)
    )


_PROFILE_QUERY = _profile_select().where(Person.id == bindparam("person_id"))


def _in_tenant(tenant: object) -> ColumnElement[bool]:
    """A person the activity's tenant may act as: unbound, or bound to that tenant (bot.domain.access.person_in_tenant)."""
    return or_(Person.tenant_id.is_(None), Person.tenant_id == tenant)


def _member_in_tenant(tenant: str | None) -> ColumnElement[bool]:
    """The person has a role in a cohort the tenant may see (bot.domain.access.visible_in_tenant)."""
    return exists().where(
        Membership.person_id == Person.id,
        Membership.cohort_id == Cohort.id,
        or_(Cohort.tenant_id.is_(None), Cohort.tenant_id == tenant),
    )


# The everyday turn: the sender by AAD id within the tenant, their roles, and whether this chat is stored.
_KNOWN_PROFILE_QUERY = _profile_select(
    exists().where(Conversation.conversation_id == bindparam("cid"), Conversation.unreachable_at.is_(None)),
).where(Person.aad_object_id == bindparam("aad"), _in_tenant(bindparam("tenant")))


def _profile_of(rows: Any) -> Profile | None:
    """A Profile from the rows of a _profile_select (extra columns ignored)."""
    if not rows:
        return None
    pid, email, name, organisation = rows[0][:4]
    roles = tuple(
        RoleInCohort(cid, key, cname, tz, role, level, lname, mname, tenant)
        for _p, _e, _n, _o, cid, key, cname, tz, role, level, lname, mname, tenant, *_extra in rows
        if cid is not None
    )
    return Profile(pid, email, name, organisation, roles)


class Directory(Conversations, Calendars):
    """The roster as the Teams edge needs it."""

    def __init__(self, db: Database, demo_cohort: str = "") -> None:
        self.db = db
        self.demo_cohort = demo_cohort

    async def find(self, identity: TeamsIdentity) -> int | None:
        """The person id for a Teams identity, by AAD object id, else by email; only within the identity's tenant."""
        async with self.db.sessions() as session:
            person = await self._lookup(session, identity)
            return person.id if person is not None else None

    async def link(self, identity: TeamsIdentity) -> int | None:
        """Find the person and store their Teams ids; in the demo, enrol strangers as talents."""
        async with self.db.sessions() as session, session.begin():
            person = await self._lookup(session, identity)
            if person is None and self.demo_cohort:
                person = await self._join_demo(session, identity)
            if person is None:
                return None
            if identity.aad_object_id and person.aad_object_id != identity.aad_object_id:
                person.aad_object_id = identity.aad_object_id
            if person.teams_user_id != identity.user_id:
                person.teams_user_id = identity.user_id
            if identity.tenant_id and person.tenant_id != identity.tenant_id:
                person.tenant_id = identity.tenant_id
            await session.flush()
            return person.id

    async def _lookup(self, session: AsyncSession, identity: TeamsIdentity) -> Person | None:
        # Tenant isolation: an AAD id or email from another tenant never finds (or links) this tenant's people.
        tenant = identity.tenant_id
        if identity.aad_object_id:
            person = await session.scalar(select(Person).where(Person.aad_object_id == identity.aad_object_id, _in_tenant(tenant)))
            if person is not None:
                return person
        if identity.email:
            return await session.scalar(
                select(Person).where(Person.email == normalise_email(identity.email), _in_tenant(tenant), _member_in_tenant(tenant))
            )
        return None

    async def _join_demo(self, session: AsyncSession, identity: TeamsIdentity) -> Person | None:
        cohort = await session.scalar(select(Cohort).where(Cohort.key == self.demo_cohort))
        if cohort is None:
            log.warning("demo cohort %r not found; stranger not enrolled", self.demo_cohort)
            return None
        if cohort.tenant_id is not None and cohort.tenant_id != identity.tenant_id:
            return None  # the demo cohort belongs to another tenant
        email = normalise_email(identity.email or f"{identity.aad_object_id or identity.user_id}@demo.invalid")
        person = await session.scalar(select(Person).where(Person.email == email))
        if person is not None and (
            person.tenant_id not in (None, identity.tenant_id)
            or await session.scalar(select(Membership.id).where(Membership.person_id == person.id).limit(1)) is not None
        ):
            return None  # that email is on a roster this tenant cannot see: never hand their row to a stranger
        if person is None:
            person = Person(email=email, name=identity.name or "Demo-talent", organisation="Demo Kommune")
            session.add(person)
            await session.flush()
        leader_id = await session.scalar(select(Person.id).where(Person.email == DEMO_LEADER_EMAIL))
        session.add(
            Membership(
                cohort_id=cohort.id,
                person_id=person.id,
                role="talent",
                level="leder-af-medarbejdere",
                leader_id=leader_id,
            )
        )
        log.info("demo: enrolled a new person as talent in %s", self.demo_cohort)
        return person

    async def profile(self, person_id: int) -> Profile | None:
        """The person with all their roles, names of leader and mentor included (one query)."""
        async with self.db.sessions() as session:
            return _profile_of((await session.execute(_PROFILE_QUERY, {"person_id": person_id})).all())

    async def known_profile(self, identity: TeamsIdentity, conversation_id: str) -> tuple[Profile | None, bool]:
        """The sender's profile by AAD id and whether this chat is stored, in one query; (None, False) when unknown."""
        if not identity.aad_object_id:
            return None, False
        async with self.db.sessions() as session:
            rows = (
                await session.execute(
                    _KNOWN_PROFILE_QUERY, {"aad": identity.aad_object_id, "cid": conversation_id, "tenant": identity.tenant_id}
                )
            ).all()
        return _profile_of(rows), bool(rows and rows[0][-1])
