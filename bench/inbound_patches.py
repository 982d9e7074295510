"""Experiments for bench/inbound.py --patch NAME: private monkeypatches, never edits of the bot."""
from __future__ import annotations

PATCHES = {}


def patch(fn):
    PATCHES[fn.__name__] = fn
    return fn


def apply(name: str) -> None:
    if name not in PATCHES:
        raise SystemExit(f"unknown patch {name!r}; known: {', '.join(sorted(PATCHES))}")
    PATCHES[name]()


@patch
def token_client_cache() -> None:
    """bot/teams/auth.py CachingBotFrameworkAuthentication.create_user_token_client: one per app id.

    CloudAdapter asks for a UserTokenClient on every turn; botbuilder builds a TokenApiClient each
    time, whose msrest configuration builds a ClientRetryPolicy (the 500-item safe_codes scan).
    The client holds only the app id, its credentials and the OAuth endpoint, so it can be shared.
    """
    from botframework.connector.auth import AuthenticationConstants

    from bot.teams.auth import CachingBotFrameworkAuthentication as Auth

    async def create_user_token_client(self, claims_identity):
        app_id = claims_identity.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
        if app_id is None:
            app_id = claims_identity.get_claim_value(AuthenticationConstants.APP_ID_CLAIM)
        cache = self.__dict__.setdefault("_user_token_clients", {})
        client = cache.get(app_id)
        if client is None:
            client = cache[app_id] = await self._inner.create_user_token_client(claims_identity)
        return client

    Auth.create_user_token_client = create_user_token_client


@patch
def profile_one_query() -> None:
    """bot/services/directory.py Directory.profile: one prebuilt column query instead of
    session.get + an ORM join that builds two aliased(Person) (with all their column proxies)
    on every call."""
    from sqlalchemy import bindparam, select
    from sqlalchemy.orm import aliased

    from bot.domain.people import Profile, RoleInCohort
    from bot.services.directory import Directory
    from bot.storage.models import Cohort, Membership, Person

    leader, mentor = aliased(Person), aliased(Person)
    statement = (
        select(Person.id, Person.email, Person.name, Person.organisation, Cohort.id, Cohort.key, Cohort.name,
               Cohort.timezone, Membership.role, Membership.level, leader.name, mentor.name)
        .select_from(Person)
        .outerjoin(Membership, Membership.person_id == Person.id)
        .outerjoin(Cohort, Membership.cohort_id == Cohort.id)
        .outerjoin(leader, Membership.leader_id == leader.id)
        .outerjoin(mentor, Membership.mentor_id == mentor.id)
        .where(Person.id == bindparam("person_id"))
        .order_by(Cohort.id, Membership.role)
    )

    async def profile(self, person_id):
        async with self.db.sessions() as session:
            rows = (await session.execute(statement, {"person_id": person_id})).all()
        if not rows:
            return None
        pid, email, name, organisation = rows[0][:4]
        roles = tuple(RoleInCohort(cid, key, cname, tz, role, level, lname, mname)
                      for _p, _e, _n, _o, cid, key, cname, tz, role, level, lname, mname in rows if cid is not None)
        return Profile(pid, email, name, organisation, roles)

    Directory.profile = profile


@patch
def sessions_columns() -> None:
    """bot/services/directory.py Directory.sessions: select the six columns, not ORM entities."""
    from sqlalchemy import bindparam, select

    from bot.domain.calendar import Session
    from bot.services.directory import Directory
    from bot.storage.models import CalendarSession as C

    statement = select(C.cohort_id, C.activity_key, C.part, C.starts_at, C.ends_at, C.venue).where(
        C.cohort_id.in_(bindparam("ids", expanding=True)))

    async def sessions(self, cohort_ids):
        out = {cid: [] for cid in cohort_ids}
        if not cohort_ids:
            return out
        async with self.db.sessions() as session:
            for cid, key, part, starts, ends, venue in await session.execute(statement, {"ids": list(cohort_ids)}):
                out[cid].append(Session(key, part, starts, ends, venue))
        return out

    Directory.sessions = sessions


@patch
def find_and_conversation() -> None:
    """bot/teams/handler.py CompanionBot._person + a new Directory.find_known(identity, conversation_id):
    who the sender is and whether their chat is stored, in one query and one session
    (was Directory.find then Directory.has_conversation: two sessions)."""
    from sqlalchemy import and_, bindparam, exists, select

    from bot.services.directory import Directory
    from bot.storage.models import Conversation, Person
    from bot.teams import handler

    known = exists().where(and_(Conversation.conversation_id == bindparam("cid"), Conversation.unreachable_at.is_(None)))
    statement = select(Person.id, known).where(Person.aad_object_id == bindparam("aad"))

    async def find_known(self, identity, conversation_id):
        if not identity.aad_object_id:
            return await self.find(identity), await self.has_conversation(conversation_id)
        async with self.db.sessions() as session:
            row = (await session.execute(statement, {"aad": identity.aad_object_id, "cid": conversation_id})).first()
        if row is None:  # not linked yet: the slow path of the original code
            return await self.find(identity), None
        return row[0], bool(row[1])

    Directory.find_known = find_known
    original = handler.CompanionBot._person

    async def _person(self, ctx, account=None):
        if account is not None or not handler.is_personal(ctx.activity):
            return await original(self, ctx, account)
        identity = handler.identity_of(ctx.activity)
        person_id, has_chat = await self.directory.find_known(identity, ctx.activity.conversation.id)
        if person_id is None or has_chat is None:
            return await original(self, ctx, account)
        if not has_chat:
            await self.directory.link(identity)
            await self._remember_chat(ctx, person_id)
        return person_id

    handler.CompanionBot._person = _person


@patch
def memo_reads() -> None:
    """MEASUREMENT ONLY (not a proposal): the turn's reads (find_known, profile, sessions) answered
    from a process-wide memo after the first call; shows what database reads cost per turn.
    Apply after find_and_conversation."""
    from bot.services.directory import Directory

    def memo(name):
        original = getattr(Directory, name)
        cache = {}

        async def wrapper(self, *args):
            key = tuple(repr(a) for a in args)
            if key not in cache:
                cache[key] = await original(self, *args)
            return cache[key]

        setattr(Directory, name, wrapper)

    for name in ("find_known", "profile", "sessions", "find", "has_conversation"):
        if hasattr(Directory, name):
            memo(name)


@patch
def endpoint_single_parse() -> None:
    """bot/teams/endpoint.py handle_messages: hand the Activity it already parsed and validated to
    adapter.process_activity(auth_header, activity, marker.on_turn) instead of adapter.process(request, ...),
    which reads, json-parses and msrest-deserializes the body a second time. (What CloudAdapter.process
    does besides: PermissionError -> 401, InvokeResponse -> json_response(serializer_helper(body)).)"""
    import app as app_module
    from aiohttp import web
    from botbuilder.integration.aiohttp.cloud_adapter import serializer_helper

    from bot.teams import endpoint

    original = endpoint.handle_messages

    class _Parsed:
        """Adapter stand-in: process() reuses the activity handle_messages parsed."""

        def __init__(self, adapter):
            self.adapter = adapter
            self.activity = None

        async def process(self, request, bot):
            try:
                invoke = await self.adapter.process_activity(
                    request.headers.get("Authorization", ""), self.activity, bot.on_turn)
            except PermissionError:
                raise web.HTTPUnauthorized
            if invoke:
                return web.json_response(data=serializer_helper(invoke.body), status=invoke.status)
            return web.Response(status=201)

    real_deserialize = endpoint.Activity.deserialize

    async def handle_messages(request, adapter, bot, max_body):
        proxy = _Parsed(adapter)

        class _Activity(endpoint.Activity):  # capture the activity handle_messages deserializes
            def deserialize(self_, data):  # noqa: N805
                proxy.activity = real_deserialize(data)  # Model.deserialize is a classmethod
                return proxy.activity

        saved, endpoint.Activity = endpoint.Activity, _Activity
        try:
            return await original(request, proxy, bot, max_body)
        finally:
            endpoint.Activity = saved

    app_module.handle_messages = handle_messages


@patch
def jinja_no_reload() -> None:
    """cards/__init__.py: Environment(..., auto_reload=False): no os.stat of the template per render."""
    import cards

    cards._env.auto_reload = False


@patch
def reply_raw() -> None:
    """bot/teams/handler.py CompanionBot._send: post the card reply as JSON through the bot's own
    aiohttp connector client (bot/delivery/connector.ConnectorClient, as the outbox Sender does) to
    v3/conversations/{id}/activities/{replyToId}, instead of TurnContext.send_activity (deepcopy of the
    activity, msrest deserialize+serialize of the whole card, msrest deserialize of the answer).
    Local mode here (NoToken); in Azure the app's MsalToken provider would be passed."""
    from urllib.parse import quote

    from bot.delivery.connector import ConnectorClient, NoToken
    from bot.teams import handler

    import cards

    client = ConnectorClient(NoToken())

    async def _send(self, ctx, reply):
        card = cards.render(reply.card, reply.data)
        a = ctx.activity
        body = {
            "type": "message",
            "attachments": [{"contentType": cards.CARD_CONTENT_TYPE, "content": card}],
            "from": {"id": a.recipient.id, "name": a.recipient.name},
            "recipient": {"id": a.from_property.id, "name": a.from_property.name},
            "conversation": {"id": a.conversation.id, "conversationType": a.conversation.conversation_type,
                             "tenantId": a.conversation.tenant_id},
            "channelId": a.channel_id, "serviceUrl": a.service_url, "replyToId": a.id, "inputHint": "acceptingInput",
        }
        session = client._http()
        url = f"{a.service_url.rstrip('/')}/v3/conversations/{quote(a.conversation.id, safe='')}/activities/{quote(a.id, safe='')}"
        async with session.post(url, json=body) as resp:
            if resp.status >= 300:
                raise RuntimeError(f"reply failed: {resp.status}")
            await resp.read()
        ctx.responded = True

    handler.CompanionBot._send = _send


@patch
def gc_stats() -> None:
    """MEASUREMENT ONLY: at exit, print how many collections per generation ran and their pauses
    (whole process: both bots, client and fake connector)."""
    import atexit
    import gc
    import time

    pauses = {0: [], 1: [], 2: []}
    started = [0.0]

    def callback(phase, info):
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses[info["generation"]].append(time.perf_counter() - started[0])

    gc.callbacks.append(callback)

    def report():
        for gen, p in pauses.items():
            if p:
                print(f"gc gen{gen}: {len(p)} collections, total {sum(p) * 1000:.0f} ms, max {max(p) * 1000:.1f} ms")

    atexit.register(report)


@patch
def gc_freeze() -> None:
    """app.py main(), after startup: gc.freeze() so the collector stops re-scanning the long-lived
    startup objects (models, content, botbuilder/msrest/SQLAlchemy modules). Process-wide: the echo
    bot in this bench benefits too, so read its effect on the bot's cpu ms/turn, not on the ratio."""
    import gc

    import app as app_module

    original = app_module.create_app

    def create_app(*args, **kwargs):
        application = original(*args, **kwargs)

        async def freeze(_app):  # on_startup runs after the cleanup contexts have opened
            gc.collect()
            gc.freeze()

        application.on_startup.append(freeze)
        return application

    app_module.create_app = create_app


@patch
def conversation_upsert() -> None:
    """bot/services/directory.py Directory.save_conversation: when two turns of a new chat race
    (install + first message, or two quick messages), the second INSERT hits the UNIQUE
    conversation_id and the turn ends in "Beklager…". Retry once on IntegrityError: the row now
    exists and the update path runs. (An INSERT … ON CONFLICT DO UPDATE upsert is the alternative.)"""
    from sqlalchemy.exc import IntegrityError

    from bot.services.directory import Directory

    original = Directory.save_conversation

    async def save_conversation(self, **kwargs):
        try:
            await original(self, **kwargs)
        except IntegrityError:
            await original(self, **kwargs)

    Directory.save_conversation = save_conversation
