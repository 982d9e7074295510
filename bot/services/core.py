"""The services built once per process (server or command line) from settings and content."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.content.growth import load_growth_content
from bot.content.materials import load_content
from bot.content.nudges import load_nudges
from bot.content.report import load_report_settings
from bot.domain.materials import Materials
from bot.domain.nudges import Nudges
from bot.domain.programme import Programme
from bot.qa import QuestionIndex, load_index
from bot.report.reports import Reports
from bot.services.access import Access
from bot.services.broadcasts import Broadcaster
from bot.services.buddies import Buddies
from bot.services.directory import Directory
from bot.services.files import Files
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
from bot.services.retention import RetentionPolicy
from bot.services.roster import RosterService
from bot.services.status_news import StatusCards
from bot.storage.db import Database
from bot.storage.file_store import file_store


@dataclass(frozen=True)
class Core:
    """Content and the use cases over one database (db is the handle they share)."""

    db: Database
    programme: Programme
    materials: Materials
    nudges: Nudges
    directory: Directory
    guide: Guide
    messages: MessageBuilder
    planner: Planner
    learning: Learning
    broadcaster: Broadcaster
    nudging: Nudging
    buddies: Buddies
    questions: QuestionIndex
    desk: QuestionDesk  # the instructors' loop over the same index
    growth: Growth
    reports: Reports
    access: Access
    privacy: Privacy
    roster: RosterService
    health: HealthCheck  # 'Klar til start?' for the console and `cohort check`
    files: Files  # uploaded templates and slides, served by signed links
    links: LinkChecker  # material links checked in the background; health reads the answers
    status_cards: StatusCards  # the admin's status card with what is new since the last daily one


def build_core(db: Database, settings: Settings, clock: Callable[[], datetime]) -> Core:
    """Load content/ and wire the services (raises FileErrors on bad content)."""
    programme, materials = load_content(settings.content_dir)
    nudges = load_nudges(settings.content_dir, programme)
    directory = Directory(db, demo_cohort=settings.demo_cohort)
    messages = MessageBuilder(programme, materials, nudges)
    growth_content = load_growth_content(settings.content_dir, programme)
    planner = Planner(db, programme, materials, nudges, messages, readiness=growth_content.readiness)
    growth = Growth(db, programme, growth_content, clock, messages, timezone=settings.timezone)
    questions = load_index(settings.content_dir)
    reports = Reports(
        db,
        programme,
        materials,
        growth,
        load_report_settings(settings.content_dir),
        clock,
        link_secret=settings.report_secret.reveal(),
        base_url=settings.base_url,
    )
    messages.report_link = reports.link  # the steering group's meeting nudges link the report
    files = Files(
        db,
        programme,
        file_store(settings.file_storage_dir),
        clock,
        secret=settings.report_secret.reveal(),
        base_url=settings.base_url,
        max_bytes=settings.file_max_bytes,
    )
    messages.attachments = files.attachments  # the cards that need a template or slides link them
    health = HealthCheck(db, programme, materials, reminder_hours=settings.question_reminder_working_hours)
    return Core(
        db=db,
        programme=programme,
        materials=materials,
        nudges=nudges,
        directory=directory,
        guide=Guide(programme, directory, clock),
        messages=messages,
        planner=planner,
        learning=Learning(
            db,
            programme,
            materials,
            messages,
            planner,
            clock,
            timezone=settings.timezone,
            refuse_placeholders=not settings.local_mode,
            demo_cohort=settings.demo_cohort,
        ),
        broadcaster=Broadcaster(db, clock),
        nudging=Nudging(db, nudges, materials.timing, messages, clock, timezone=settings.timezone),
        buddies=Buddies(db, planner, clock),
        questions=questions,
        desk=QuestionDesk(
            db, questions, programme, clock, reminder_hours=settings.question_reminder_working_hours, timezone=settings.timezone
        ),
        growth=growth,
        reports=reports,
        access=Access(db, clock),
        privacy=Privacy(
            db,
            clock,
            retention_days=settings.retention_days,
            policy=RetentionPolicy(settings.retention_days, settings.retention_grace_days, settings.retention_notice_days),
        ),
        roster=RosterService(db),
        health=health,
        files=files,
        links=LinkChecker(db, materials, clock),
        status_cards=StatusCards(db, health, reports, clock),
    )
