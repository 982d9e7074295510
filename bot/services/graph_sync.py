"""Reaching people who never opened the bot: install the app for them through Graph and store their 1:1 chat."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery.graph import (
    GraphClient,
    GraphResponse,
    Sleep,
    graph_scope,
    odata_string,
    segment,
)
from bot.delivery.tokens import EntraToken, TokenError
from bot.outbox.writer import reachable_chats
from bot.services.cohorts import UnknownCohort, get_cohort
from bot.services.directory import Directory
from bot.storage.db import Database
from bot.storage.models import Cohort, Membership, Person

log = logging.getLogger(__name__)

REACHED = "reached"
ALREADY_REACHED = "already_reached"
UNREACHABLE = "unreachable"

# The least-privileged application permissions for each step (see README "Reaching everyone").
PERMISSION_USERS = "User.Read.All"
PERMISSION_CATALOG = "AppCatalog.Read.All"
PERMISSION_INSTALL = "TeamsAppInstallation.ReadWriteSelfForUser.All"

USER_FIELDS = "id,displayName,userPrincipalName,mail"
CHAT_WAITS = 3  # a chat can lag a fresh install by a moment: look again this many times


class GraphSyncError(Exception):
    """A problem that stops the whole sync (settings, token, catalog); the message says what to fix."""


class _Unreachable(Exception):
    """This one person cannot be reached; the reason is for LEAD, in Danish."""


@dataclass(frozen=True)
class PersonOutcome:
    """What the sync did for one rostered person."""

    email: str
    name: str
    status: str  # reached, already_reached, unreachable
    reason: str | None = None
    chat_id: str | None = None
    installed: bool = False  # this run installed the app for them

    def as_json(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
            "chatId": self.chat_id,
            "installed": self.installed,
        }


@dataclass(frozen=True)
class SyncResult:
    """The outcome for everyone on a cohort's roster."""

    cohort: str
    tenant_id: str
    catalog_app_id: str
    people: tuple[PersonOutcome, ...]

    def count(self, status: str) -> int:
        return sum(1 for p in self.people if p.status == status)

    @property
    def installed(self) -> int:
        return sum(1 for p in self.people if p.installed)

    def summary(self) -> str:
        return (
            f"{self.count(REACHED)} reached, {self.count(ALREADY_REACHED)} already reached, "
            f"{self.count(UNREACHABLE)} unreachable; the app was installed for {self.installed}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "cohort": self.cohort,
            "tenantId": self.tenant_id,
            "catalogAppId": self.catalog_app_id,
            "counts": {s: self.count(s) for s in (REACHED, ALREADY_REACHED, UNREACHABLE)},
            "installed": self.installed,
            "people": [p.as_json() for p in self.people],
        }


@dataclass(frozen=True)
class _Member:
    person_id: int
    email: str
    name: str
    aad_object_id: str | None
    reached: bool  # has a personal chat the bot can still write to


def check_settings(settings: Settings) -> None:
    """Refuse, with what to set, unless Graph sync is switched on and has credentials."""
    if not settings.graph_enabled:
        raise GraphSyncError(
            "Graph roster sync is switched off: set GRAPH_ENABLED=1 once an admin has granted the "
            'Graph permissions listed in the README ("Reaching everyone: Graph roster sync")'
        )
    credentials = (("MicrosoftAppId", settings.app_id), ("MicrosoftAppPassword", settings.app_password))
    missing = [name for name, value in credentials if not value]
    if missing:
        raise GraphSyncError(f"Graph roster sync needs the bot's app registration: set {' and '.join(missing)}")
    if not settings.teams_app_id:
        raise GraphSyncError(
            "the Teams app id is unknown: set TEAMS_APP_ID to the manifest id "
            "(or MicrosoftAppId to the bot's GUID, from which `make package` derives it)"
        )


def _reason(resp: GraphResponse, permission: str) -> str:
    """A Danish reason for LEAD from a failed Graph answer."""
    detail = f" (Graph: {resp.error_code})" if resp.error_code else ""
    if resp.status == 403:
        return f"mangler tilladelse: {permission}{detail}"
    if resp.status == 401:
        return f"Microsoft Graph afviste botten adgang (401){detail}"
    if resp.status == 429 or resp.status == 0 or resp.status >= 500:
        what = "svarede ikke" if resp.status == 0 else f"svarede {resp.status}"
        return f"Microsoft Graph {what} efter {resp.attempts} forsøg – prøv igen senere"
    return f"Microsoft Graph svarede {resp.status}{detail}"


Progress = Callable[[int, int, PersonOutcome], None]


class GraphRosterSync:
    """For each person: resolve in Entra ID → install the app → get the 1:1 chat → store it. Safe to rerun."""

    def __init__(
        self,
        db: Database,
        graph: GraphClient,
        *,
        bot_app_id: str,
        teams_app_id: str,
        service_url: str,
        tenant_id: str,
        concurrency: int = 4,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.db = db
        self.graph = graph
        self.directory = Directory(db)
        self.bot_app_id = bot_app_id
        self.teams_app_id = teams_app_id
        self.service_url = service_url
        self.tenant_id = tenant_id
        self.concurrency = concurrency
        self._sleep = sleep
        self._catalog_id: str | None = None
        # Person rows are written one at a time: two emails may resolve to the same Entra user,
        # and the unique aad_object_id must then be caught here, not as a database error.
        self._store_lock = asyncio.Lock()

    async def run(self, cohort_key: str, progress: Progress | None = None) -> SyncResult:
        """Sync everyone on the cohort's roster; unreachable people are listed, not fatal.

        `progress(done, total, outcome)` is called as each person is finished (in the order they finish)."""
        members = await self._members(cohort_key)
        done = 0
        try:
            catalog_id = await self.catalog_app_id()
            gate = asyncio.Semaphore(self.concurrency)

            async def one(member: _Member) -> PersonOutcome:
                nonlocal done
                async with gate:
                    outcome = await self._sync_one(member, catalog_id)
                done += 1
                if progress is not None:
                    progress(done, len(members), outcome)
                return outcome

            outcomes = await asyncio.gather(*(one(m) for m in members))
        except TokenError as exc:
            raise GraphSyncError(f"could not get a Microsoft Graph token: {exc}") from None
        result = SyncResult(cohort_key, self.tenant_id, catalog_id, tuple(outcomes))
        log.info("graph roster sync %s: %s", cohort_key, result.summary())
        return result

    async def catalog_app_id(self) -> str:
        """The org catalog's id for our app (looked up once per sync by the manifest id = externalId)."""
        if self._catalog_id is not None:
            return self._catalog_id
        resp = await self.graph.get("/appCatalogs/teamsApps", {"$filter": f"externalId eq {odata_string(self.teams_app_id)}"})
        if resp.status == 403:
            raise GraphSyncError(f"Graph refused to read the Teams app catalog: grant the application permission {PERMISSION_CATALOG}")
        if not resp.ok:
            raise GraphSyncError(
                f"could not read the Teams app catalog: Graph answered {resp.status or 'nothing'} "
                f"{resp.error_code} {resp.error_message}".rstrip()
            )
        apps = resp.values()
        # An app can show up once per distribution method; the org catalog's copy is the one to install.
        apps.sort(key=lambda app: app.get("distributionMethod") != "organization")
        if not apps or not apps[0].get("id"):
            raise GraphSyncError(
                f"the app is not published in the org catalog: no Teams app has externalId {self.teams_app_id}. "
                "Upload dist/talent-nord-teams-app.zip in Teams admin center (Teams apps → Manage apps → Upload), "
                "or set TEAMS_APP_ID to the id in the manifest you published"
            )
        self._catalog_id = str(apps[0]["id"])
        return self._catalog_id

    async def _members(self, cohort_key: str) -> list[_Member]:
        async with self.db.sessions() as session:
            cohort = await _cohort(session, cohort_key)
            people = (
                await session.scalars(
                    select(Person)
                    .join(Membership, Membership.person_id == Person.id)
                    .where(Membership.cohort_id == cohort.id)
                    .distinct()
                    .order_by(Person.email)
                )
            ).all()
            reached = set(await reachable_chats(session, [p.id for p in people]))
        return [_Member(p.id, p.email, p.name, p.aad_object_id, p.id in reached) for p in people]

    async def _sync_one(self, member: _Member, catalog_id: str) -> PersonOutcome:
        if member.reached:
            # Already writable: no Graph call at all, so a rerun makes no POSTs and changes nothing.
            return PersonOutcome(member.email, member.name, ALREADY_REACHED)
        try:
            user_id, display_name = await self._resolve(member)
            installation_id, installed = await self._install(user_id, catalog_id)
            chat_id = await self._chat(user_id, installation_id, fresh=installed)
            await self._store(member, user_id, display_name, chat_id)
        except _Unreachable as exc:
            return PersonOutcome(member.email, member.name, UNREACHABLE, reason=str(exc))
        except TokenError as exc:
            # The catalog lookup already proved the credentials; a later refusal stays with this person
            # so the others still finish instead of being abandoned mid-install.
            log.warning("graph token failed during the sync: %s", exc)
            reason = "kunne ikke hente adgangstoken til Microsoft Graph"
            return PersonOutcome(member.email, member.name, UNREACHABLE, reason=reason)
        return PersonOutcome(member.email, member.name, REACHED, chat_id=chat_id, installed=installed)

    async def _resolve(self, member: _Member) -> tuple[str, str]:
        """The Entra object id and display name: stored, else by UPN, else by mail address."""
        if member.aad_object_id:
            return member.aad_object_id, member.name
        resp = await self.graph.get(f"/users/{segment(member.email)}", {"$select": USER_FIELDS})
        if resp.ok and isinstance(resp.body, dict) and resp.body.get("id"):
            return str(resp.body["id"]), str(resp.body.get("displayName") or member.name)
        if resp.status == 404:
            # /users/{x} only knows the UPN; the roster has the mail address, which may differ.
            resp = await self.graph.get("/users", {"$filter": f"mail eq {odata_string(member.email)}", "$select": USER_FIELDS})
            if resp.ok:
                found = [u for u in resp.values() if u.get("id")]
                if len(found) == 1:
                    return str(found[0]["id"]), str(found[0].get("displayName") or member.name)
                if found:
                    raise _Unreachable("flere brugere i Entra ID har denne e-mailadresse")
                raise _Unreachable("ikke fundet i Entra ID")
        raise _Unreachable(_reason(resp, PERMISSION_USERS))

    async def _installation(self, user_id: str, catalog_id: str) -> str | None:
        """The id of our app's installation in the user's personal scope, or None."""
        resp = await self.graph.get(
            f"/users/{segment(user_id)}/teamwork/installedApps",
            {"$expand": "teamsAppDefinition", "$filter": f"teamsApp/id eq {odata_string(catalog_id)}"},
        )
        if resp.status == 404:
            raise _Unreachable("har ikke Microsoft Teams (mangler licens?)")
        if not resp.ok:
            raise _Unreachable(_reason(resp, PERMISSION_INSTALL))
        found = [item for item in resp.values() if item.get("id")]
        return str(found[0]["id"]) if found else None

    async def _install(self, user_id: str, catalog_id: str) -> tuple[str, bool]:
        """The id of the app's installation for the user, installing it first if needed; True when we installed it."""
        installation_id = await self._installation(user_id, catalog_id)
        if installation_id is not None:
            return installation_id, False
        resp = await self.graph.post(
            f"/users/{segment(user_id)}/teamwork/installedApps",
            {"teamsApp@odata.bind": f"{self.graph.base_url}/appCatalogs/teamsApps/{catalog_id}"},
        )
        installed = resp.ok
        if resp.status == 404:
            raise _Unreachable("har ikke Microsoft Teams (mangler licens?)")
        if not resp.ok and resp.status != 409:  # 409: installed meanwhile (by the user, a policy, a parallel run)
            raise _Unreachable(_reason(resp, PERMISSION_INSTALL))
        installation_id = await self._installation(user_id, catalog_id)
        if installation_id is None:
            raise _Unreachable("appen er installeret, men Teams viser den ikke endnu – kør synkroniseringen igen senere")
        return installation_id, installed

    async def _chat(self, user_id: str, installation_id: str, *, fresh: bool) -> str:
        """The id of the user's 1:1 chat with the bot ("19:…" or "a:…")."""
        path = f"/users/{segment(user_id)}/teamwork/installedApps/{segment(installation_id)}/chat"
        for wait in range(CHAT_WAITS + 1):
            resp = await self.graph.get(path)
            if resp.ok and isinstance(resp.body, dict) and resp.body.get("id"):
                return str(resp.body["id"])
            if resp.status != 404 or not fresh or wait == CHAT_WAITS:
                break
            await self._sleep(2.0 * (wait + 1))  # Teams creates the chat a moment after the install
        if resp.status == 404:
            raise _Unreachable("chatten med botten findes ikke endnu – kør synkroniseringen igen senere")
        raise _Unreachable(_reason(resp, PERMISSION_INSTALL))

    async def _store(self, member: _Member, user_id: str, display_name: str, chat_id: str) -> None:
        """Link the person to their Entra user and remember the chat, as the Teams edge would."""
        async with self._store_lock:
            async with self.db.sessions() as session, session.begin():
                person = await session.get(Person, member.person_id)
                if person is None:
                    raise _Unreachable("personen blev slettet under synkroniseringen")
                if person.aad_object_id != user_id:
                    other = await session.scalar(select(Person.email).where(Person.aad_object_id == user_id, Person.id != person.id))
                    if other is not None:
                        raise _Unreachable(f"samme Entra ID-bruger som {other}")
                    person.aad_object_id = user_id
                if not person.tenant_id:
                    person.tenant_id = self.tenant_id
            await self.directory.save_conversation(
                conversation_id=chat_id,
                kind="personal",
                service_url=self.service_url,
                tenant_id=self.tenant_id,
                reference=self.reference(user_id, display_name, chat_id),
                person_id=member.person_id,
            )

    def reference(self, user_id: str, display_name: str, chat_id: str) -> dict[str, Any]:
        """A ConversationReference for a chat found through Graph (Teams' 29: user id is unknown until they write)."""
        return {
            "activityId": None,
            "user": {"aadObjectId": user_id, "name": display_name, "role": "user"},
            "bot": {"id": f"28:{self.bot_app_id}", "role": "bot"},
            "conversation": {"id": chat_id, "conversationType": "personal", "isGroup": False, "tenantId": self.tenant_id},
            "channelId": "msteams",
            "serviceUrl": self.service_url,
        }


async def cohort_tenant(db: Database, cohort_key: str) -> str | None:
    """The cohort's tenant from its YAML, if it has one."""
    async with db.sessions() as session:
        return (await _cohort(session, cohort_key)).tenant_id


async def _cohort(session: AsyncSession, cohort_key: str) -> Cohort:
    # an unknown cohort stops the whole sync like any other GraphSyncError (the command reports those)
    try:
        return await get_cohort(session, cohort_key)
    except UnknownCohort as exc:
        raise GraphSyncError(exc.operator_text) from None


async def sync_roster(
    db: Database,
    settings: Settings,
    cohort_key: str,
    *,
    sleep: Sleep = asyncio.sleep,
    verify: bool | str = True,
    concurrency: int = 4,
    max_attempts: int = 6,
    timeout: float = 30.0,
    progress: Progress | None = None,
) -> SyncResult:
    """Check the settings, get a token for the cohort's tenant and sync its roster (progress: see GraphRosterSync.run)."""
    check_settings(settings)
    # The people live in the cohort's tenant (a MultiTenant bot serves several); else the bot's own.
    tenant = await cohort_tenant(db, cohort_key) or settings.app_tenant_id
    if not tenant:
        raise GraphSyncError("no tenant to look people up in: set `tenant:` in the cohort file or MicrosoftAppTenantId")
    token = EntraToken(
        app_id=settings.app_id,
        secret=settings.app_password,
        authority=settings.login_authority,
        tenant=tenant,
        scope=graph_scope(settings.graph_base_url),
        verify=verify,
    )
    client = GraphClient(settings.graph_base_url, token, max_attempts=max_attempts, timeout=timeout, sleep=sleep)
    try:
        return await GraphRosterSync(
            db,
            client,
            bot_app_id=settings.app_id,
            teams_app_id=settings.teams_app_id,
            service_url=settings.bot_service_url,
            tenant_id=tenant,
            concurrency=concurrency,
            sleep=sleep,
        ).run(cohort_key, progress)
    finally:
        await client.close()
