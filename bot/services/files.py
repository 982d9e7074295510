"""Uploaded files (templates, slides, conversation guides): add, list, remove, and serve them to their cohort only."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.filetypes import KINDS, FileKind, NotAllowed, display_name, sniff
from bot.domain.materials import TOPICS
from bot.domain.nudges import NUDGE_TOPICS
from bot.domain.programme import Programme
from bot.services import file_links
from bot.services.cohorts import get_cohort
from bot.storage.db import Database
from bot.storage.file_store import FileStore
from bot.storage.file_tables import StoredFile
from bot.storage.models import CalendarSession, Membership

log = logging.getLogger(__name__)
MAX_TITLE = 200
NUDGE_LABELS_DA = {
    "leader-conversation": "Samtaler med nærmeste leder",
    "leader-group": "Ledergruppemøder",
    "follow-up": "Opfølgning efter forløbet",
    "buddy-intro": "Buddy-start",
    "buddy-meeting": "Buddymøder",
    "lederspejl": "Lederspejl",
    "skyggepraktik": "Skyggepraktik",
    "mentor": "Mentorsamtaler",
    "alumni": "Alumnedag",
    "evaluation": "Evaluering",
}
TOPIC_LABELS_DA = {"intro": "introduktion", "article": "artikel", "literature": "litteratur"}


class FileRefused(ValueError):
    """An upload or a removal that cannot be done; the message is Danish for the console and printed by the CLI."""


class FileDenied(PermissionError):
    """A link that is forged, expired, not for this cohort's people or past the library's close: 403."""


@dataclass(frozen=True)
class FileInfo:
    """One stored file as the console, the CLI and the library see it (never its bytes)."""

    id: int
    cohort_id: int
    title: str
    filename: str
    kind: str
    size: int
    activity_key: str | None
    topic: str | None
    nudge_topic: str | None
    created_at: datetime

    @property
    def content_type(self) -> str:
        """The Content-Type it is served with."""
        return KINDS[self.kind].content_type

    @property
    def kind_label(self) -> str:
        """PDF, Word, PowerPoint or Excel."""
        return KINDS[self.kind].label_da

    def as_json(self) -> dict[str, object]:
        """The file for `files list --json`."""
        return {
            "id": self.id,
            "title": self.title,
            "filename": self.filename,
            "kind": self.kind,
            "size": self.size,
            "activity": self.activity_key,
            "topic": self.topic,
            "nudge": self.nudge_topic,
            "created_at": self.created_at.isoformat(),
        }


def _info(row: StoredFile) -> FileInfo:
    return FileInfo(
        row.id, row.cohort_id, row.title, row.filename, row.kind, row.size, row.activity_key, row.topic, row.nudge_topic, row.created_at
    )


def parse_attachment(value: str, programme: Programme) -> tuple[str | None, str | None, str | None]:
    """(activity, step, nudge) from "", "m1", "m1.intro" or "nudge:leader-conversation"; FileRefused otherwise."""
    value = value.strip()
    if not value:
        return None, None, None
    if value.startswith("nudge:"):
        topic = value.removeprefix("nudge:")
        if topic not in NUDGE_TOPICS:
            raise FileRefused(f"Der findes ingen påmindelse ved navn {topic!r}.")
        return None, None, topic
    activity, _, step = value.partition(".")
    if activity not in programme.keys:
        raise FileRefused(f"Der findes ingen aktivitet med nøglen {activity!r}.")
    if step and step not in TOPICS:
        raise FileRefused(f"Aktiviteten har intet trin ved navn {step!r} (kun {', '.join(TOPICS)}).")
    return activity, step or None, None


def attachment_label(info: FileInfo, programme: Programme) -> str:
    """Where the file shows, in Danish: "Modul 1 · introduktion", "Samtaler med nærmeste leder" or the library only."""
    if info.nudge_topic:
        return NUDGE_LABELS_DA.get(info.nudge_topic, info.nudge_topic)
    if info.activity_key:
        name = programme.activity(info.activity_key).name if info.activity_key in programme.keys else info.activity_key
        return f"{name} · {TOPIC_LABELS_DA.get(info.topic or '', info.topic)}" if info.topic else name
    return "Kun i biblioteket"


class Files:
    """The files of each cohort behind one store; the console and `python -m bot files` both call this."""

    def __init__(
        self,
        db: Database,
        programme: Programme,
        store: FileStore,
        clock: Callable[[], datetime],
        *,
        secret: str,
        base_url: str,
        max_bytes: int,
    ) -> None:
        self.db, self.programme, self.store, self.clock = db, programme, store, clock
        self.secret, self.base_url, self.max_bytes = secret, base_url, max_bytes

    def check(self, raw_name: str, data: bytes) -> FileKind:
        """The file's kind when it may be stored: within the size limit and one of the allowed kinds by content."""
        if len(data) > self.max_bytes:
            raise FileRefused(f"Filen er for stor: højst {self.max_bytes // (1024 * 1024)} MB.")
        if not data:
            raise FileRefused("Filen er tom.")
        try:
            return sniff(data)
        except NotAllowed as exc:
            raise FileRefused(str(exc)) from None

    async def add(self, cohort_key: str, raw_name: str, data: bytes, *, title: str = "", attach: str = "") -> FileInfo:
        """Store one file for the cohort, all or nothing; FileRefused (Danish) for anything not allowed."""
        kind = self.check(raw_name, data)
        activity, topic, nudge = parse_attachment(attach, self.programme)
        filename = display_name(raw_name, kind)
        title = " ".join(title.split()) or filename.rsplit(".", 1)[0]
        if len(title) > MAX_TITLE:
            raise FileRefused(f"Titlen er for lang: højst {MAX_TITLE} tegn.")
        file_id: int | None = None
        try:
            async with self.db.sessions.begin() as session:
                cohort = await get_cohort(session, cohort_key)
                row = StoredFile(
                    cohort_id=cohort.id,
                    title=title,
                    filename=filename,
                    kind=kind.ext,
                    size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(),
                    activity_key=activity,
                    topic=topic,
                    nudge_topic=nudge,
                    backend=self.store.backend,
                    created_at=self.clock(),
                )
                session.add(row)
                await session.flush()
                file_id = row.id
                await self.store.put(session, row.id, data)
                info = _info(row)
        except BaseException:
            if file_id is not None:
                await self.store.discard(file_id)  # bytes written outside the rolled-back transaction
            raise
        log.info("file %d (%s, %d bytes) added to cohort %s", info.id, kind.ext, len(data), cohort_key)
        return info

    async def of_cohort(self, cohort_key: str) -> list[FileInfo]:
        """The cohort's files, newest first."""
        async with self.db.sessions() as session:
            cohort = await get_cohort(session, cohort_key)
            rows = await session.scalars(
                select(StoredFile).where(StoredFile.cohort_id == cohort.id).order_by(StoredFile.created_at.desc(), StoredFile.id.desc())
            )
            return [_info(r) for r in rows]

    async def remove(self, cohort_key: str, file_id: int) -> FileInfo:
        """Delete one of the cohort's files (its links stop working at once); FileRefused when it is not theirs."""
        async with self.db.sessions.begin() as session:
            cohort = await get_cohort(session, cohort_key)
            row = await session.get(StoredFile, file_id)
            if row is None or row.cohort_id != cohort.id:
                raise FileRefused(f"Holdet har ingen fil med nummer {file_id}.")
            info = _info(row)
            await session.delete(row)
        await self.store.discard(file_id)
        return info

    async def of_person(self, person_id: int) -> list[FileInfo]:
        """The files of every cohort the person belongs to whose library is still open, in upload order."""
        now = self.clock()
        async with self.db.sessions() as session:
            cohort_ids = list(await session.scalars(select(Membership.cohort_id).where(Membership.person_id == person_id)))
            open_ids = [c for c in cohort_ids if not await self._closed(session, c, now)]
            rows: Iterable[StoredFile] = (
                await session.scalars(
                    select(StoredFile).where(StoredFile.cohort_id.in_(open_ids)).order_by(StoredFile.created_at, StoredFile.id)
                )
                if open_ids
                else []
            )
            return [_info(r) for r in rows]

    async def _closes(self, session: AsyncSession, cohort_id: int) -> datetime | None:
        last = await session.scalar(select(func.max(CalendarSession.ends_at)).where(CalendarSession.cohort_id == cohort_id))
        return last + timedelta(days=round(365 * self.programme.library_months_after_end / 12)) if last else None

    async def _closed(self, session: AsyncSession, cohort_id: int, now: datetime) -> bool:
        closes = await self._closes(session, cohort_id)
        return closes is not None and now >= closes

    async def attachments(
        self, session: AsyncSession, person_id: int, *, nudge: str | None = None, activity: str | None = None, topic: str | None = None
    ) -> list[dict[str, str]]:
        """The files a card carries as links for this person: those attached to its nudge kind, or to its step
        (the intro step also carries the activity's own files, e.g. the module's slides)."""
        query = (
            select(StoredFile)
            .join(Membership, Membership.cohort_id == StoredFile.cohort_id)
            .where(Membership.person_id == person_id)
            .order_by(StoredFile.created_at, StoredFile.id)
        )
        if nudge is not None:
            query = query.where(StoredFile.nudge_topic == nudge)
        elif activity is not None:
            steps = [topic] + ([None] if topic == TOPICS[0] else [])
            query = query.where(
                StoredFile.activity_key == activity,
                or_(*(StoredFile.topic.is_(None) if t is None else StoredFile.topic == t for t in steps)),
            )
        else:
            return []
        rows = {r.id: _info(r) for r in await session.scalars(query)}  # one person, several memberships: once each
        return [self.item(f, person_id, ttl=file_links.CARD_TTL) for f in rows.values()]

    def item(self, info: FileInfo, person_id: int, *, ttl: timedelta = file_links.TAB_TTL) -> dict[str, str]:
        """A file as a library or card entry: title, kind and the person's signed link."""
        return {
            "title": info.title,
            "kind_label": info.kind_label,
            "url": self.link(info, person_id, ttl=ttl),
            "where": attachment_label(info, self.programme),
        }

    async def library(self, person_id: int, *, ttl: timedelta = file_links.TAB_TTL) -> list[dict[str, str]]:
        """The person's files for the library (tab or chat) with fresh links; none once the library has closed."""
        return [self.item(f, person_id, ttl=ttl) for f in await self.of_person(person_id)]

    def link(self, info: FileInfo, person_id: int, *, ttl: timedelta = file_links.TAB_TTL) -> str:
        """The signed URL that lets this person fetch this file until now + ttl."""
        return self.base_url + file_links.file_path(self.secret, info.id, person_id, self.clock() + ttl)

    async def open(self, file_id: str, person: str, expires: str, signature: str) -> tuple[FileInfo, bytes]:
        """The file and its bytes for a valid link; FileDenied (403) or LookupError (404, the file is gone)."""
        now = self.clock()
        checked = file_links.verify(self.secret, file_id, person, expires, signature, now)
        if checked is None:
            raise FileDenied("bad or expired link")
        async with self.db.sessions() as session:
            row = await session.get(StoredFile, checked[0])
            if row is None:
                raise LookupError(file_id)
            member = await session.scalar(
                select(Membership.id).where(Membership.person_id == checked[1], Membership.cohort_id == row.cohort_id).limit(1)
            )
            if member is None:
                raise FileDenied("not a member of the file's cohort")
            if await self._closed(session, row.cohort_id, now):
                raise FileDenied("the library has closed")
            data = await self.store.get(session, row.id)
            if data is None:
                raise LookupError(file_id)
            return _info(row), data
