"""The services built once per process (server or command line) from settings and content."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from bot.config import Settings
from bot.content_loader import load_content, load_nudges
from bot.domain.materials import Materials
from bot.domain.nudges import Nudges
from bot.domain.programme import Programme
from bot.qa import QuestionIndex, load_index
from bot.services.access import Access
from bot.services.broadcasts import Broadcaster
from bot.services.buddies import Buddies
from bot.services.nudging import Nudging
from bot.services.directory import Directory
from bot.services.growth import Growth, load_growth_content
from bot.services.guide import Guide
from bot.services.learning import Learning
from bot.services.messages import MessageBuilder
from bot.services.planning import Planner
from bot.services.privacy import Privacy
from bot.services.questions import QuestionDesk
from bot.services.retention import RetentionPolicy
from bot.services.report import Reports, load_report_settings
from bot.storage.db import Database


@dataclass(frozen=True)
class Core:
    """Content and the use cases over one database."""

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


def build_core(db: Database, settings: Settings, clock: Callable[[], datetime]) -> Core:
    """Load content/ and wire the services (raises FileErrors on bad content)."""
    programme, materials = load_content(settings.content_dir)
    nudges = load_nudges(settings.content_dir, programme)
    directory = Directory(db, demo_cohort=settings.demo_cohort)
    messages = MessageBuilder(programme, materials, nudges)
    growth_content = load_growth_content(settings.content_dir, programme)
    planner = Planner(db, programme, materials, nudges, messages, readiness=growth_content.readiness)
    growth = Growth(db, programme, growth_content, clock, messages)
    questions = load_index(settings.content_dir)
    return Core(
        programme=programme,
        materials=materials,
        nudges=nudges,
        directory=directory,
        guide=Guide(programme, directory, clock),
        messages=messages,
        planner=planner,
        learning=Learning(db, programme, materials, messages, planner, clock),
        broadcaster=Broadcaster(db, clock),
        nudging=Nudging(db, nudges, materials.timing, messages, clock),
        buddies=Buddies(db, planner, clock),
        questions=questions,
        desk=QuestionDesk(db, questions, programme, clock, reminder_hours=settings.question_reminder_working_hours,
                          timezone=settings.timezone),
        growth=growth,
        reports=Reports(
            db, programme, materials, growth, load_report_settings(settings.content_dir), clock,
            link_secret=settings.report_secret.reveal(), base_url=settings.base_url,
        ),
        access=Access(db, clock),
        privacy=Privacy(db, clock, retention_days=settings.retention_days, policy=RetentionPolicy(
            settings.retention_days, settings.retention_grace_days, settings.retention_notice_days)),
    )
