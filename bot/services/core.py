"""The services built once per process (server or command line) from settings and content."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from bot.config import Settings
from bot.content.growth import GrowthContent, load_growth_content
from bot.content.materials import load_content
from bot.content.nudges import load_nudges
from bot.content.report import ReportSettings, load_report_settings
from bot.domain.materials import Materials
from bot.domain.nudges import Nudges
from bot.domain.programme import Programme
from bot.storage.db import Database
from bot.storage.models import Material

if TYPE_CHECKING:  # each service's module is imported when it is first used: a command loads what it needs
    from bot.qa import LazyIndex
    from bot.report.reports import Reports
    from bot.services.access import Access
    from bot.services.broadcasts import Broadcaster
    from bot.services.buddies import Buddies
    from bot.services.directory import Directory
    from bot.services.files import Files
    from bot.services.growth.attendance import AttendanceRecords
    from bot.services.growth.plans import Growth
    from bot.services.guide import Guide
    from bot.services.health import HealthCheck
    from bot.services.learning import Learning
    from bot.services.link_check import LinkChecker
    from bot.services.messages.builder import MessageBuilder
    from bot.services.nudging import Nudging
    from bot.services.planning import Planner
    from bot.services.privacy import Privacy
    from bot.services.questions.desk import QuestionDesk
    from bot.services.roster import RosterService
    from bot.services.status_news import StatusCards


class Core:
    """Content and the use cases over one database (db is the handle they share); each service built on first use."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Callable[[], datetime],
        programme: Programme,
        materials: Materials,
        nudges: Nudges,
        growth_content: GrowthContent,
        report_settings: ReportSettings,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.programme = programme
        self.materials = materials
        self.nudges = nudges
        self.growth_content = growth_content
        self.report_settings = report_settings

    @cached_property
    def questions(self) -> LazyIndex:
        """The question index, built on first use."""
        # a command that answers no question never pays for the index (FAQ parsing, vectors, the dense
        # model), nor for importing bot.qa (BM25, Danish stemming)
        from bot.qa import LazyIndex, load_index

        content_dir = self.settings.content_dir
        return LazyIndex(lambda: load_index(content_dir))

    async def ensure_published(self) -> None:
        """First use: publish the materials when none are; the publishing service is imported only then."""
        async with self.db.sessions() as session:
            if await session.scalar(select(func.count()).select_from(Material)):
                return  # every start but the first: no Learning, Planner or MessageBuilder to import
        await self.learning.ensure_published()

    @cached_property
    def directory(self) -> Directory:
        """Who is who."""
        from bot.services.directory import Directory

        return Directory(self.db, demo_cohort=self.settings.demo_cohort)

    @cached_property
    def guide(self) -> Guide:
        """Welcome, help and next."""
        from bot.services.guide import Guide

        return Guide(self.programme, self.directory, self.clock)

    @cached_property
    def messages(self) -> MessageBuilder:
        """The cards for plan rows."""
        from bot.services.messages.builder import MessageBuilder

        messages = MessageBuilder(self.programme, self.materials, self.nudges)
        # the steering group's meeting nudges link the report; the cards that need a template or slides link them
        messages.report_link = lambda cohort_key: self.reports.link(cohort_key)
        messages.attachments = self._attachments
        return messages

    def _attachments(self, session: Any, person_id: int, **where: str | None) -> Any:
        return self.files.attachments(session, person_id, **where)

    @cached_property
    def planner(self) -> Planner:
        """The plan table in step with calendars and rosters."""
        from bot.services.planning import Planner

        return Planner(self.db, self.programme, self.materials, self.nudges, lambda: self.messages, readiness=self.growth_content.readiness)

    @cached_property
    def growth(self) -> Growth:
        """Plans, readiness and attendance."""
        from bot.services.growth.plans import Growth

        return Growth(self.db, self.programme, self.growth_content, self.clock, self.messages, timezone=self.settings.timezone)

    @cached_property
    def attendance(self) -> AttendanceRecords:
        """Absences and completion: Growth's when it is built, else on their own."""
        if "growth" in self.__dict__:
            return self.growth
        # the report reads only these: a command that reports imports no plans, readiness or cards
        from bot.services.growth.attendance import AttendanceRecords

        return AttendanceRecords(self.db, self.programme, self.growth_content, self.clock)

    @cached_property
    def reports(self) -> Reports:
        """The steering group's report."""
        from bot.report.reports import Reports

        s = self.settings
        return Reports(
            self.db,
            self.programme,
            self.materials,
            self.attendance,
            self.report_settings,
            self.clock,
            link_secret=s.report_secret.reveal(),
            base_url=s.base_url,
        )

    @cached_property
    def files(self) -> Files:
        """Uploaded templates and slides, served by signed links."""
        from bot.services.files import Files
        from bot.storage.file_store import file_store

        s = self.settings
        return Files(
            self.db,
            self.programme,
            file_store(s.file_storage_dir),
            self.clock,
            secret=s.report_secret.reveal(),
            base_url=s.base_url,
            max_bytes=s.file_max_bytes,
        )

    @cached_property
    def learning(self) -> Learning:
        """Publishing materials."""
        from bot.services.learning import Learning

        s = self.settings
        return Learning(
            self.db,
            self.programme,
            self.materials,
            self.messages,
            self.planner,
            self.clock,
            timezone=s.timezone,
            refuse_placeholders=not s.local_mode,
            demo_cohort=s.demo_cohort,
        )

    @cached_property
    def broadcaster(self) -> Broadcaster:
        """LEAD's messages to a cohort."""
        from bot.services.broadcasts import Broadcaster

        return Broadcaster(self.db, self.clock)

    @cached_property
    def nudging(self) -> Nudging:
        """The group and everyday tracks' nudges."""
        from bot.services.nudging import Nudging

        return Nudging(self.db, self.nudges, self.materials.timing, self.messages, self.clock, timezone=self.settings.timezone)

    @cached_property
    def buddies(self) -> Buddies:
        """Buddy groups."""
        from bot.services.buddies import Buddies

        return Buddies(self.db, self.planner, self.clock)

    @cached_property
    def desk(self) -> QuestionDesk:
        """The instructors' loop over the question index."""
        from bot.services.questions.desk import QuestionDesk

        s = self.settings
        return QuestionDesk(
            self.db, self.questions, self.programme, self.clock, reminder_hours=s.question_reminder_working_hours, timezone=s.timezone
        )

    @cached_property
    def access(self) -> Access:
        """Who may do what."""
        from bot.services.access import Access

        return Access(self.db, self.clock)

    @cached_property
    def privacy(self) -> Privacy:
        """Export, erase and retention."""
        from bot.services.privacy import Privacy
        from bot.services.retention import RetentionPolicy

        s = self.settings
        return Privacy(
            self.db,
            self.clock,
            retention_days=s.retention_days,
            policy=RetentionPolicy(s.retention_days, s.retention_grace_days, s.retention_notice_days),
        )

    @cached_property
    def roster(self) -> RosterService:
        """Roster and cohort imports."""
        from bot.services.roster import RosterService

        return RosterService(self.db)

    @cached_property
    def health(self) -> HealthCheck:
        """'Klar til start?' for the console and `cohort check`."""
        from bot.services.health import HealthCheck

        return HealthCheck(self.db, self.programme, self.materials, reminder_hours=self.settings.question_reminder_working_hours)

    @cached_property
    def links(self) -> LinkChecker:
        """Material links checked in the background; health reads the answers."""
        from bot.services.link_check import LinkChecker

        return LinkChecker(self.db, self.materials, self.clock, allowed_hosts=self.settings.link_check_allow_hosts)

    @cached_property
    def status_cards(self) -> StatusCards:
        """The admin's status card with what is new since the last daily one."""
        from bot.services.status_news import StatusCards

        return StatusCards(self.db, self.health, self.reports, self.clock)


def build_core(db: Database, settings: Settings, clock: Callable[[], datetime]) -> Core:
    """Load content/ (raises FileErrors on bad content) and wire the services, each built on first use."""
    programme, materials = load_content(settings.content_dir)
    nudges = load_nudges(settings.content_dir, programme)
    growth_content = load_growth_content(settings.content_dir, programme)
    return Core(db, settings, clock, programme, materials, nudges, growth_content, load_report_settings(settings.content_dir))
