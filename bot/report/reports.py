"""Reports: the steering group's figures for a cohort computed from the tables (nothing stored), and its signed links."""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.report import ReportSettings
from bot.domain.final_evaluation import EVALUATION_KEY
from bot.domain.materials import TOPIC_LABELS_DA, Materials
from bot.domain.programme import Programme
from bot.domain.readiness import AIMS, BOXES
from bot.report.figures import (
    MEETING_NAMES_DA,
    ROLE_NAMES_DA,
    TRACK_NAMES_DA,
    ActivityRating,
    CohortReport,
    Meetings,
    PrepActivity,
    QuestionFigures,
    TimeSpent,
)
from bot.report.links import report_path, verify
from bot.report.queries import evaluation_rows, invited_counts, member_rows, occasion_counts, progress_rows
from bot.report.summary import status_summary
from bot.report.table import report_csv
from bot.services.cohorts import get_cohort
from bot.services.growth.attendance import AttendanceRecords
from bot.storage.db import Database
from bot.storage.models import (
    BuddyMember,
    CalendarSession,
    Material,
    ReadinessAssessment,
)

log = logging.getLogger(__name__)
MEETING_TOPICS = ("buddy-meeting", "leader-conversation", "leader-group")
ONCE_PER_TALENT = ("lederspejl",)  # several nudges, one piece of work
TRACK_OF_TOPIC = {
    "buddy-meeting": "group",
    "lederspejl": "group",
    "skyggepraktik": "group",
    "leader-conversation": "everyday",
    "leader-group": "everyday",
    "mentor": "everyday",
}
TRACK_TOPICS = {track: tuple(t for t, tr in TRACK_OF_TOPIC.items() if tr == track) for track in ("group", "everyday")}


class Reports:
    """Computes the report from the tables; nothing is stored."""

    def __init__(
        self,
        db: Database,
        programme: Programme,
        materials: Materials,
        attendance: AttendanceRecords,
        settings: ReportSettings,
        clock: Callable[[], datetime],
        *,
        link_secret: str,
        base_url: str,
    ) -> None:
        self.db = db
        self.programme = programme
        self.materials = materials
        self.attendance = attendance
        self.settings = settings
        self.clock = clock
        self.link_secret = link_secret
        self.base_url = base_url.rstrip("/")

    def link(self, cohort_key: str) -> tuple[str, datetime]:
        """A signed link to the cohort's HTML report that expires after LINK_TTL."""
        path, expires = report_path(self.link_secret, cohort_key, self.clock())
        return self.base_url + path, expires

    def link_is_valid(self, cohort_key: str, expires: str, signature: str) -> bool:
        """Whether a report link's signature is right and it has not expired."""
        return verify(self.link_secret, cohort_key, expires, signature, self.clock())

    async def status(self, cohort_key: str) -> dict[str, Any]:
        """The admin's status card data, with a fresh signed link to the full report."""
        report = await self.build(cohort_key)
        url, expires = self.link(cohort_key)
        return self.summary(report, url, expires)

    async def build(self, cohort_key: str) -> CohortReport:
        """All figures for a cohort now; UnknownCohort for an unknown cohort."""
        now = self.clock()
        async with self.db.sessions() as session:
            cohort = await get_cohort(session, cohort_key)
            # plain rows, grouped and counted in the database where it can (bot/report/queries.py)
            members = await member_rows(session, cohort.id)
            talents = [m for m in members if m.role == "talent"]
            talent_ids = {m.person_id for m in talents}
            statuses = await self.attendance.completion(session, cohort.id, now)
            counts = {state: sum(1 for s in statuses if s.status.state == state) for state in ("completed", "on-track", "not-completed")}
            evaluations = await evaluation_rows(session, cohort.id)
            talent_answers = [e for e in evaluations if e.person_id in talent_ids]
            occasions = await occasion_counts(session, cohort.id, TRACK_OF_TOPIC, now)
            ratings = self._ratings(evaluations, await invited_counts(session, cohort.id))
            progress = await progress_rows(session, cohort.id)
            preparation = self._preparation(progress, members)
            totals = {topic: [0, 0, 0] for topic in MEETING_TOPICS}  # planned, held, due
            for topic, _, planned, held, due in occasions:
                if topic in totals:
                    total = totals[topic]
                    total[0] += planned
                    total[1] += held
                    total[2] += due
            meetings = [
                Meetings(topic, MEETING_NAMES_DA[topic], held=held, due=due, planned=planned)
                for topic, (planned, held, due) in totals.items()
            ]
            readiness: dict[tuple[str, int], int] = {(aim, box): 0 for aim in AIMS for box in BOXES}
            assessed = 0
            assessments = select(ReadinessAssessment.person_id, ReadinessAssessment.aim, ReadinessAssessment.box)
            for person_id, aim, box in await session.execute(assessments.where(ReadinessAssessment.cohort_id == cohort.id)):
                if person_id in talent_ids and (aim, box) in readiness:
                    readiness[(aim, box)] += 1
                    assessed += 1
            questions = await self._questions(session, cohort.id)
            groups: dict[int, set[int]] = {}
            buddies = select(BuddyMember.group_no, BuddyMember.person_id).where(BuddyMember.cohort_id == cohort.id)
            for group_no, person_id in await session.execute(buddies):
                groups.setdefault(group_no, set()).add(person_id)
            paired = {pid for g in groups.values() if len(g) > 1 for pid in g}  # a group of one is no pair
            time = await self._time(session, cohort.id, members, occasions, progress, now)
            required_ended = all(s.status.remaining == 0 for s in statuses) if statuses else False
            required_count = len(self.attendance.content.rule.required)
            started = any(s.status.remaining < required_count for s in statuses)
        final_answers = [e for e in talent_answers if e.activity_key == EVALUATION_KEY]
        activity_answers = [e for e in talent_answers if e.activity_key != EVALUATION_KEY]
        expectation_counts = {k: sum(1 for e in final_answers if e.expectations == k) for k in ("ja", "delvist", "nej")}
        return CohortReport(
            cohort_key=cohort.key,
            cohort_name=cohort.name,
            generated_at=now,
            timezone=cohort.timezone,
            talents=len(talents),
            completed=counts["completed"],
            on_track=counts["on-track"],
            not_completed=counts["not-completed"],
            finished=required_ended,
            completion_target=self.settings.completion_target,
            expectation_answers=len(final_answers),
            expectation_counts=expectation_counts,
            activity_expectation_answers=len(activity_answers),
            activity_expectation_counts={k: sum(1 for e in activity_answers if e.expectations == k) for k in ("ja", "delvist", "nej")},
            expectations_target=self.settings.expectations_target,
            ratings=ratings,
            preparation=preparation,
            meetings=meetings,
            readiness=readiness,
            not_assessed=len(talents) - assessed,
            questions=questions,
            time=time,
            started=started,
            unpaired=len(talent_ids - paired),
        )

    def _ratings(self, evaluations: list[Any], invited: dict[str, int]) -> list[ActivityRating]:
        by_activity: dict[str, list[Any]] = {}
        for e in evaluations:
            by_activity.setdefault(e.activity_key, []).append(e)
        out = []
        for activity in self.programme.activities:
            answers = by_activity.get(activity.key, [])
            count = invited.get(activity.key, 0)
            if not answers and not count:
                continue
            out.append(
                ActivityRating(
                    activity.key,
                    activity.name,
                    count,
                    len(answers),
                    statistics.fmean(e.rating for e in answers) if answers else None,
                    {n: sum(1 for e in answers if e.rating == n) for n in range(1, 6)},
                    {k: sum(1 for e in answers if e.expectations == k) for k in ("ja", "delvist", "nej")},
                )
            )
        return out

    def _preparation(self, progress: list[tuple[int, str, str]], members: list[Any]) -> list[PrepActivity]:
        opened: dict[tuple[str, str], set[int]] = {}
        for person_id, activity_key, topic in progress:
            opened.setdefault((activity_key, topic), set()).add(person_id)
        out = []
        audiences: dict[tuple[str, ...], set[int]] = {}  # the same few role sets for every activity
        for activity_key, sequence in self.materials.sequences.items():
            # the success criteria are about the talents: count them where they are the audience
            roles = ("talent",) if "talent" in sequence.audience else tuple(sequence.audience)
            if roles not in audiences:
                audiences[roles] = {m.person_id for m in members if m.role in roles}
            audience = audiences[roles]
            if not audience:
                continue
            steps = [
                (TOPIC_LABELS_DA.get(step.topic, step.topic), len(opened.get((activity_key, step.topic), set()) & audience))
                for step in sequence.steps
            ]
            who = "talenter" if roles == ("talent",) else "ledere" if roles == ("leader",) else "deltagere"
            out.append(PrepActivity(activity_key, self.programme.activity(activity_key).name, len(audience), steps, who))
        return out

    async def _questions(self, session: AsyncSession, cohort_id: int) -> QuestionFigures:
        """Tolerant: the questions table comes with another feature; without it the figures are '–'."""
        try:
            conn = await session.connection()
            columns = await conn.run_sync(
                lambda c: {col["name"] for col in inspect(c).get_columns("questions")} if inspect(c).has_table("questions") else set()
            )
            if not {"created_at", "answered_at"} <= columns:
                return QuestionFigures(False)
            where = " WHERE cohort_id = :cohort" if "cohort_id" in columns else ""
            rows = (await session.execute(text(f"SELECT created_at, answered_at FROM questions{where}"), {"cohort": cohort_id})).all()
        except Exception as exc:  # any schema surprise: show no figures rather than no report
            log.info("question figures unavailable: %s", type(exc).__name__)
            return QuestionFigures(False)
        waits = []
        open_count = 0
        for created, answered in rows:
            if answered is None:
                open_count += 1
                continue
            try:
                waits.append((_as_datetime(answered) - _as_datetime(created)).total_seconds() / 3600)
            except (TypeError, ValueError):
                continue
        return QuestionFigures(True, open_count, len(rows) - open_count, statistics.median(waits) if waits else None)

    async def _time(
        self,
        session: AsyncSession,
        cohort_id: int,
        members: list[Any],
        occasions: list[tuple[str, int, int, int, int]],
        progress: list[tuple[int, str, str]],
        now: datetime,
    ) -> list[TimeSpent]:
        s = self.settings
        sessions = [
            r for r in await session.scalars(select(CalendarSession).where(CalendarSession.cohort_id == cohort_id)) if r.ends_at <= now
        ]
        absences = await self.attendance.absences(session, cohort_id)
        minutes = {(m.activity_key, m.topic): m.minutes for m in await session.scalars(select(Material))}
        seen: dict[int, list[tuple[str, str]]] = {}
        for person_id, activity_key, topic in progress:
            seen.setdefault(person_id, []).append((activity_key, topic))
        held: dict[int, dict[str, int]] = {}  # talent -> topic -> held occasions
        for topic, talent, _, held_count, _ in occasions:
            if held_count:
                held.setdefault(talent, {})[topic] = held_count
        led: dict[int, list[int]] = {}  # leader -> their talents; mentor -> theirs
        mentored: dict[int, list[int]] = {}
        for m in members:
            if m.role == "talent":
                if m.leader_id is not None:
                    led.setdefault(m.leader_id, []).append(m.person_id)
                if m.mentor_id is not None:
                    mentored.setdefault(m.mentor_id, []).append(m.person_id)

        by_role: dict[str, list[tuple[tuple[str, str], float]]] = {}  # role -> the held sessions it attends, with their days

        def common_days(person_id: int, role: str) -> float:
            if role not in by_role:
                by_role[role] = [
                    ((r.activity_key, r.part), s.module_day if activity.is_module else s.session_day)
                    for r in sessions
                    if r.activity_key in self.programme.keys and role in (activity := self.programme.activity(r.activity_key)).participants
                ]
            absent = absences.get(person_id, set())
            days = 0.0
            for part, day in by_role[role]:
                if part not in absent:
                    days += day
            return days

        def occasion_hours(talent: int, topic: str) -> float:
            count = held.get(talent, {}).get(topic, 0)
            if topic in ONCE_PER_TALENT:
                count = min(count, 1)
            return count * s.hours.get(topic, 0)

        talents = [m for m in members if m.role == "talent"]
        tracks: dict[str, list[float]] = {track: [] for track in TRACK_NAMES_DA}
        for m in talents:
            tracks["common"].append(common_days(m.person_id, "talent"))
            tracks["digital"].append(sum(minutes.get(step, 0) for step in seen.get(m.person_id, [])) / 60 / s.hours_per_day)
            for track, topics in TRACK_TOPICS.items():
                hours = sum(occasion_hours(m.person_id, t) for t in topics) if m.person_id in held else 0.0
                tracks[track].append(hours / s.hours_per_day)
        talent_tracks = {track: statistics.fmean(v) if v else 0.0 for track, v in tracks.items()}
        out = [
            TimeSpent(
                "talent",
                ROLE_NAMES_DA["talent"],
                len(talents),
                sum(talent_tracks.values()),
                s.talent_days,
                "dage",
                talent_tracks,
                dict(s.talent_tracks),
            )
        ]
        leaders = sorted({m.person_id for m in members if m.role == "leader"})
        leader_days = []
        for leader in leaders:
            conversations = sum(occasion_hours(t, "leader-conversation") for t in led.get(leader, []))
            leader_days.append(common_days(leader, "leader") + conversations / s.hours_per_day)
        out.append(
            TimeSpent(
                "leader",
                ROLE_NAMES_DA["leader"],
                len(leaders),
                statistics.fmean(leader_days) if leader_days else 0.0,
                s.leader_days,
                "dage",
            )
        )
        mentors = sorted({m.person_id for m in members if m.role == "mentor"})
        mentor_hours = [sum(occasion_hours(t, "mentor") for t in mentored.get(mentor, [])) for mentor in mentors]
        out.append(
            TimeSpent(
                "mentor",
                ROLE_NAMES_DA["mentor"],
                len(mentors),
                statistics.fmean(mentor_hours) if mentor_hours else 0.0,
                s.mentor_hours,
                "timer",
            )
        )
        return out

    def summary(self, report: CohortReport, report_url: str | None, expires: datetime | None) -> dict[str, Any]:
        """The data for the admin's status card."""
        return status_summary(report, report_url, expires)

    @staticmethod
    def to_csv(report: CohortReport) -> str:
        """Every figure as CSV rows."""
        return report_csv(report)


def _as_datetime(value: Any) -> datetime:
    """A naive UTC datetime from whatever the driver gives (SQLite gives text)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)
