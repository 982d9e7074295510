"""The outbox writer: a key is queued once, and only stored, reachable 1:1 chats count as reachable."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.outbox.writer import Outgoing, enqueue, enqueue_all, reachable_chat, reachable_chats
from bot.storage.db import Database
from bot.storage.models import Conversation, OutboxMessage, Person
from tests.support import NOW

URL = "http://127.0.0.1:9/"


async def _person(db: Database, name: str) -> int:
    async with db.sessions() as s, s.begin():
        person = Person(email=f"{name}@example.org", name=name)
        s.add(person)
        await s.flush()
        return person.id


async def _chat(db: Database, cid: str, person_id: int | None, *, kind: str = "personal", gone: bool = False) -> int:
    async with db.sessions() as s, s.begin():
        row = Conversation(
            conversation_id=cid,
            kind=kind,
            person_id=person_id,
            service_url=URL,
            reference={},
            unreachable_at=NOW if gone else None,
            unreachable_reason="403 from Bot Connector" if gone else None,
        )
        s.add(row)
        await s.flush()
        return row.id


async def test_enqueue_twice_with_the_same_key_writes_one_row_and_keeps_the_transaction(db: Database) -> None:
    chat = await _chat(db, "a:1", await _person(db, "anna"))
    async with db.sessions() as s, s.begin():
        first = await enqueue(s, key="broadcast/1/1", conversation_id=chat, payload={"text": "første"}, at=NOW)
        again = await enqueue(s, key="broadcast/1/1", conversation_id=chat, payload={"text": "anden"}, at=NOW)
        other = await enqueue(s, key="broadcast/1/2", conversation_id=chat, payload={"text": "anden"}, at=NOW)
    async with db.sessions() as s, s.begin():  # a later transaction (a re-run, another replica)
        later = await enqueue(s, key="broadcast/1/1", conversation_id=chat, payload={"text": "tredje"}, at=NOW)
    assert (first, again, other, later) == (True, False, True, False)
    async with db.sessions() as s:
        rows = {o.key: o for o in await s.scalars(select(OutboxMessage))}
    assert sorted(rows) == ["broadcast/1/1", "broadcast/1/2"]  # the no-op did not roll the other row back
    assert rows["broadcast/1/1"].payload == {"text": "første"}  # the first one stands


async def test_enqueue_all_counts_only_new_keys_and_keeps_their_order(db: Database) -> None:
    chat = await _chat(db, "a:1", await _person(db, "anna"))
    async with db.sessions() as s, s.begin():
        assert await enqueue(s, key="plan/3", conversation_id=chat, payload={"n": 3}, at=NOW)
        batch = [Outgoing(f"plan/{n}", chat, {"n": n}, NOW, plan_id=None) for n in (5, 1, 3, 4, 1)]
        assert await enqueue_all(s, batch) == 3  # plan/3 was queued before, the second plan/1 repeats the first
        assert await enqueue_all(s, []) == 0
    async with db.sessions() as s:
        keys = list(await s.scalars(select(OutboxMessage.key).order_by(OutboxMessage.id)))
    assert keys == ["plan/3", "plan/5", "plan/1", "plan/4"]  # the sender goes by id: the order given


async def test_enqueue_writes_a_pending_row_due_at_the_given_moment(db: Database) -> None:
    chat = await _chat(db, "a:1", await _person(db, "anna"))
    due = NOW + timedelta(minutes=5)
    async with db.sessions() as s, s.begin():
        assert await enqueue(s, key="k", conversation_id=chat, payload={"type": "message", "text": "hej"}, at=due)
    async with db.sessions() as s:
        row = await s.scalar(select(OutboxMessage))
    assert row is not None
    assert (row.status, row.attempts, row.conversation_id, row.next_attempt_at) == ("pending", 0, chat, due)
    assert (row.plan_id, row.broadcast_id, row.payload) == (None, None, {"type": "message", "text": "hej"})


async def test_reachable_chats_leaves_out_unreachable_chats_channels_and_people_without_a_chat(db: Database) -> None:
    anna, bo, carl, dina, erik = [await _person(db, n) for n in ("anna", "bo", "carl", "dina", "erik")]
    anna_chat = await _chat(db, "a:anna", anna)
    await _chat(db, "a:bo", bo, gone=True)  # the app was removed: the sender marked it
    await _chat(db, "19:channel@thread.tacv2", dina, kind="channel")  # a channel is nobody's chat
    await _chat(db, "19:other@thread.tacv2", None, kind="channel")
    erik_old = await _chat(db, "a:erik-old", erik)
    erik_new = await _chat(db, "a:erik-new", erik)
    expected = {anna: anna_chat, erik: erik_new}  # carl has no chat at all; erik gets his newest
    async with db.sessions() as s:
        assert await reachable_chats(s, [anna, bo, carl, dina, erik]) == expected
        assert await reachable_chats(s) == expected  # None: everyone
        assert await reachable_chats(s, iter([erik, erik])) == {erik: erik_new}
        assert await reachable_chats(s, []) == {}
        # the same definition as a SQL condition, for joins and EXISTS
        reachable_people = set(await s.scalars(select(Conversation.person_id).where(reachable_chat())))
        assert reachable_people == {anna, erik}
        counted = await s.scalar(select(func.count()).select_from(Conversation).where(reachable_chat(erik)))
        assert counted == 2 and erik_old != erik_new
