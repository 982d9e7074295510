"""The steering group's figures for one cohort: success criteria, tracks, readiness, time spent; signed links."""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import logging
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.danish import format_date, format_time
from bot.domain.errors import FileError, FileErrors
from bot.domain.materials import TOPIC_LABELS_DA, Materials
from bot.domain.programme import Programme
from bot.domain.readiness import AIMS, BOXES
from bot.services.growth import Growth
from bot.storage.db import Database
from bot.storage.models import (
    CalendarSession,
    Cohort,
    Evaluation,
    Material,
    Membership,
    PlannedDelivery,
    Progress,
    ReadinessAssessment,
)
from bot.yamlfile import LineDict, load_yaml_file

log = logging.getLogger(__name__)
REPORT_FILE = "report.yaml"
MEETING_TOPICS = ("buddy-meeting", "leader-conversation", "leader-group")
MEETING_NAMES_DA = {
    "buddy-meeting": "Buddy-møder",
    "leader-conversation": "Samtaler med nærmeste leder",
    "leader-group": "Møder i lederens ledergruppe",
}
ONCE_PER_TALENT = ("lederspejl",)  # several nudges, one piece of work
ROLE_NAMES_DA = {"talent": "Talent", "leader": "Nærmeste leder", "mentor": "Mentor"}
TRACK_NAMES_DA = {"common": "Fællesspor", "group": "Gruppespor", "digital": "Digitalt spor", "everyday": "Hverdagsspor"}
TRACK_OF_TOPIC = {
    "buddy-meeting": "group", "lederspejl": "group", "skyggepraktik": "group",
    "leader-conversation": "everyday", "leader-group": "everyday", "mentor": "everyday",
}
LINK_TTL = timedelta(hours=12)


# ---- settings from content/report.yaml ----------------------------------------------------------


@dataclass(frozen=True)
class ReportSettings:
    """Targets, the time budget and the hours one held occasion counts for."""

    completion_target: float = 0.95
    expectations_target: float = 0.80
    talent_days: float = 20.76
    leader_days: float = 3.0
    mentor_hours: float = 3.0
    talent_tracks: dict[str, float] = field(
        default_factory=lambda: {"common": 13.5, "group": 2.5, "digital": 2.25, "everyday": 2.51}
    )
    hours_per_day: float = 8.0
    module_day: float = 1.0
    session_day: float = 0.5
    hours: dict[str, float] = field(
        default_factory=lambda: {
            "buddy-meeting": 1, "lederspejl": 8, "skyggepraktik": 8, "leader-conversation": 1, "leader-group": 3, "mentor": 1,
        }
    )


def parse_report_settings(data: Any, path: str) -> ReportSettings:
    """ReportSettings from parsed YAML; FileErrors with lines for every bad number."""
    base = ReportSettings()
    errors: list[FileError] = []
    if not isinstance(data, dict):
        raise FileErrors([FileError(path, 1, "expected a mapping with targets, budget, hours")])

    def number(node: Any, key: str, default: float, low: float, high: float, where: str) -> float:
        if not isinstance(node, dict) or key not in node:
            return default
        value = node[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            line = node.line_of(key) if isinstance(node, LineDict) else 0
            errors.append(FileError(path, line, f"{where}.{key} must be a number from {low} to {high}"))
            return default
        return float(value)

    targets, budget, day_value = data.get("targets") or {}, data.get("budget") or {}, data.get("day_value") or {}
    hours_node = data.get("hours") or {}
    hours = dict(base.hours)
    for key in list(hours_node):
        if key not in hours:
            line = hours_node.line_of(key) if isinstance(hours_node, LineDict) else 0
            errors.append(FileError(path, line, f"hours: unknown occasion {key!r}; expected {', '.join(hours)}"))
        else:
            hours[key] = number(hours_node, key, hours[key], 0, 100, "hours")
    settings = ReportSettings(
        completion_target=number(targets, "completion", base.completion_target, 0, 1, "targets"),
        expectations_target=number(targets, "expectations", base.expectations_target, 0, 1, "targets"),
        talent_days=number(budget, "talent_days", base.talent_days, 0, 365, "budget"),
        leader_days=number(budget, "leader_days", base.leader_days, 0, 365, "budget"),
        mentor_hours=number(budget, "mentor_hours", base.mentor_hours, 0, 1000, "budget"),
        hours_per_day=number(data, "hours_per_day", base.hours_per_day, 1, 24, "report"),
        module_day=number(day_value, "module_day", base.module_day, 0, 2, "day_value"),
        session_day=number(day_value, "session", base.session_day, 0, 2, "day_value"),
        hours=hours,
    )
    if errors:
        raise FileErrors(errors)
    return settings


def load_report_settings(content_dir: Path) -> ReportSettings:
    """content/report.yaml, or the programme's own figures without it."""
    path = content_dir / REPORT_FILE
    return parse_report_settings(load_yaml_file(path), str(path)) if path.exists() else ReportSettings()


# ---- signed, expiring links ---------------------------------------------------------------------


def sign(secret: str, cohort_key: str, expires: int) -> str:
    """The HMAC-SHA256 of cohort and expiry, hex."""
    message = f"report\n{cohort_key}\n{expires}".encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def report_path(secret: str, cohort_key: str, now: datetime, ttl: timedelta = LINK_TTL) -> tuple[str, datetime]:
    """`/report/<cohort>?exp=…&sig=…` valid until now + ttl, and that moment."""
    expires = int((now + ttl).timestamp())
    path = f"/report/{quote(cohort_key, safe='')}?exp={expires}&sig={sign(secret, cohort_key, expires)}"
    return path, datetime.fromtimestamp(expires, tz=now.tzinfo)


def verify(secret: str, cohort_key: str, expires: str, signature: str, now: datetime) -> bool:
    """True when the signature matches and the link has not expired."""
    if not expires.isdigit() or len(signature) != 64:
        return False
    if int(expires) <= now.timestamp():
        return False
    return hmac.compare_digest(sign(secret, cohort_key, int(expires)), signature)


# ---- the figures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityRating:
    """Evaluations of one activity."""

    activity_key: str
    name: str
    invited: int  # evaluation cards sent
    answers: int
    mean_rating: float | None
    ratings: dict[int, int]  # 1..5 -> count
    expectations: dict[str, int]  # ja, delvist, nej -> count


@dataclass(frozen=True)
class PrepActivity:
    """Preparation engagement for one activity: per step, how many of its audience opened it."""

    activity_key: str
    name: str
    audience: int
    steps: list[tuple[str, int]]  # (step label, opened)
    who: str = "talenter"  # the audience in Danish


@dataclass(frozen=True)
class Meetings:
    """Occasions of one kind: held, due by now, planned in all (each talent's occasion once)."""

    topic: str
    name: str
    held: int
    due: int
    planned: int


@dataclass(frozen=True)
class TimeSpent:
    """Average estimated time per person in one role, against the budget."""

    role: str
    name: str
    people: int
    average: float
    budget: float
    unit: str  # "dage" or "timer"
    tracks: dict[str, float] = field(default_factory=dict)  # talents: average days per track
    track_budget: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class QuestionFigures:
    """Open questions and answer times; available is False until the questions table exists."""

    available: bool
    open: int = 0
    answered: int = 0
    median_hours: float | None = None


@dataclass(frozen=True)
class CohortReport:
    """Every figure of the report for one cohort at one moment."""

    cohort_key: str
    cohort_name: str
    generated_at: datetime
    timezone: str
    talents: int
    completed: int
    on_track: int
    not_completed: int
    finished: bool  # every required session has been held
    completion_target: float
    expectation_answers: int
    expectation_counts: dict[str, int]
    expectations_target: float
    ratings: list[ActivityRating]
    preparation: list[PrepActivity]
    meetings: list[Meetings]
    readiness: dict[tuple[str, int], int]  # (aim, box) -> talents
    not_assessed: int
    questions: QuestionFigures
    time: list[TimeSpent]

    @property
    def completion_rate(self) -> float | None:
        """Completed (or, while the programme runs, still able to complete) as a share of the talents."""
        return (self.completed + self.on_track) / self.talents if self.talents else None

    @property
    def expectations_rate(self) -> float | None:
        """Share of the talents' evaluation answers that say 'ja'."""
        return self.expectation_counts.get("ja", 0) / self.expectation_answers if self.expectation_answers else None

    def readiness_box(self, box: int) -> int:
        """Talents in a box, both aims together."""
        return sum(n for (_, b), n in self.readiness.items() if b == box)


def pct(value: float | None) -> str:
    """'87 %' (Danish spacing) or '–'."""
    return "–" if value is None else f"{round(value * 100)} %"


def num(value: float | None, decimals: int = 1) -> str:
    """A Danish decimal ('2,5') or '–'."""
    return "–" if value is None else f"{value:.{decimals}f}".replace(".", ",")


class Reports:
    """Computes the report from the tables; nothing is stored."""

    def __init__(
        self,
        db: Database,
        programme: Programme,
        materials: Materials,
        growth: Growth,
        settings: ReportSettings,
        clock: Callable[[], datetime],
        *,
        link_secret: str,
        base_url: str,
    ) -> None:
        self.db = db
        self.programme = programme
        self.materials = materials
        self.growth = growth
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

    async def cohort_keys(self) -> list[str]:
        """Every cohort's key."""
        async with self.db.sessions() as session:
            return list(await session.scalars(select(Cohort.key).order_by(Cohort.id)))

    async def build(self, cohort_key: str) -> CohortReport:
        """All figures for a cohort now; LookupError for an unknown cohort."""
        now = self.clock()
        async with self.db.sessions() as session:
            cohort = await session.scalar(select(Cohort).where(Cohort.key == cohort_key))
            if cohort is None:
                raise LookupError(f"no cohort with key {cohort_key!r}")
            members = list(await session.scalars(select(Membership).where(Membership.cohort_id == cohort.id)))
            talents = [m for m in members if m.role == "talent"]
            talent_ids = {m.person_id for m in talents}
            statuses = await self.growth.completion(session, cohort.id, now)
            counts = {state: sum(1 for s in statuses if s.status.state == state) for state in ("completed", "on-track", "not-completed")}
            evaluations = list(await session.scalars(select(Evaluation).where(Evaluation.cohort_id == cohort.id)))
            talent_answers = [e for e in evaluations if e.person_id in talent_ids]
            plan = [
                r for r in await session.scalars(select(PlannedDelivery).where(PlannedDelivery.cohort_id == cohort.id))
                if not (r.data or {}).get("parent") and r.status_reason != "no longer planned"
            ]
            occasions = self._occasions(plan, now)
            ratings = self._ratings(evaluations, plan)
            preparation = await self._preparation(session, members)
            meetings = [
                Meetings(
                    topic,
                    MEETING_NAMES_DA[topic],
                    held=sum(1 for (t, _, _), o in occasions.items() if t == topic and o["held"]),
                    due=sum(1 for (t, _, _), o in occasions.items() if t == topic and o["due"]),
                    planned=sum(1 for (t, _, _) in occasions if t == topic),
                )
                for topic in MEETING_TOPICS
            ]
            readiness: dict[tuple[str, int], int] = {(aim, box): 0 for aim in AIMS for box in BOXES}
            assessed = 0
            for r in await session.scalars(select(ReadinessAssessment).where(ReadinessAssessment.cohort_id == cohort.id)):
                if r.person_id in talent_ids and (r.aim, r.box) in readiness:
                    readiness[(r.aim, r.box)] += 1
                    assessed += 1
            questions = await self._questions(session, cohort.id)
            time = await self._time(session, cohort.id, members, occasions, now)
            required_ended = all(s.status.remaining == 0 for s in statuses) if statuses else False
        expectation_counts = {k: sum(1 for e in talent_answers if e.expectations == k) for k in ("ja", "delvist", "nej")}
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
            expectation_answers=len(talent_answers),
            expectation_counts=expectation_counts,
            expectations_target=self.settings.expectations_target,
            ratings=ratings,
            preparation=preparation,
            meetings=meetings,
            readiness=readiness,
            not_assessed=len(talents) - assessed,
            questions=questions,
            time=time,
        )

    @staticmethod
    def _occasions(plan: list[PlannedDelivery], now: datetime) -> dict[tuple[str, int, int], dict[str, bool]]:
        """Each talent's occasion of each nudge topic once: (topic, talent, n) -> held, due."""
        out: dict[tuple[str, int, int], dict[str, bool]] = {}
        for row in plan:
            if row.kind != "nudge" or row.topic not in TRACK_OF_TOPIC:
                continue
            talent = (row.data or {}).get("talent", row.person_id)
            key = (row.topic, int(talent), row.seq)
            entry = out.setdefault(key, {"held": False, "due": False})
            entry["held"] = entry["held"] or row.action == "done"
            entry["due"] = entry["due"] or row.due_at <= now
        return out

    def _ratings(self, evaluations: list[Evaluation], plan: list[PlannedDelivery]) -> list[ActivityRating]:
        out = []
        for activity in self.programme.activities:
            answers = [e for e in evaluations if e.activity_key == activity.key]
            invited = sum(
                1 for r in plan
                if r.kind == "survey" and r.topic == "evaluation" and r.activity_key == activity.key and r.status == "sent"
            )
            if not answers and not invited:
                continue
            out.append(
                ActivityRating(
                    activity.key,
                    activity.name,
                    invited,
                    len(answers),
                    statistics.fmean(e.rating for e in answers) if answers else None,
                    {n: sum(1 for e in answers if e.rating == n) for n in range(1, 6)},
                    {k: sum(1 for e in answers if e.expectations == k) for k in ("ja", "delvist", "nej")},
                )
            )
        return out

    async def _preparation(self, session: AsyncSession, members: list[Membership]) -> list[PrepActivity]:
        ids = {m.person_id for m in members}
        opened: dict[tuple[str, str], set[int]] = {}
        for p in await session.scalars(select(Progress).where(Progress.person_id.in_(ids))):
            opened.setdefault((p.activity_key, p.topic), set()).add(p.person_id)
        out = []
        for activity_key, sequence in self.materials.sequences.items():
            # the success criteria are about the talents: count them where they are the audience
            roles = ("talent",) if "talent" in sequence.audience else tuple(sequence.audience)
            audience = {m.person_id for m in members if m.role in roles}
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
        members: list[Membership],
        occasions: dict[tuple[str, int, int], dict[str, bool]],
        now: datetime,
    ) -> list[TimeSpent]:
        s = self.settings
        sessions = [r for r in await session.scalars(select(CalendarSession).where(CalendarSession.cohort_id == cohort_id)) if r.ends_at <= now]
        absences = await self.growth.absences(session, cohort_id)
        minutes = {(m.activity_key, m.topic): m.minutes for m in await session.scalars(select(Material))}
        seen: dict[int, list[tuple[str, str]]] = {}
        ids = [m.person_id for m in members]
        for p in await session.scalars(select(Progress).where(Progress.person_id.in_(ids))):
            seen.setdefault(p.person_id, []).append((p.activity_key, p.topic))
        held: dict[int, dict[str, int]] = {}  # talent -> topic -> held occasions
        for (topic, talent, _), o in occasions.items():
            if o["held"]:
                held.setdefault(talent, {}).setdefault(topic, 0)
                held[talent][topic] += 1

        def common_days(person_id: int, role: str) -> float:
            days = 0.0
            for r in sessions:
                activity = self.programme.activity(r.activity_key) if r.activity_key in self.programme.keys else None
                if activity is None or role not in activity.participants or (r.activity_key, r.part) in absences.get(person_id, set()):
                    continue
                days += s.module_day if activity.is_module else s.session_day
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
            for track in ("group", "everyday"):
                hours = sum(occasion_hours(m.person_id, t) for t, tr in TRACK_OF_TOPIC.items() if tr == track)
                tracks[track].append(hours / s.hours_per_day)
        talent_tracks = {track: statistics.fmean(v) if v else 0.0 for track, v in tracks.items()}
        out = [
            TimeSpent(
                "talent", ROLE_NAMES_DA["talent"], len(talents), sum(talent_tracks.values()), s.talent_days, "dage",
                talent_tracks, dict(s.talent_tracks),
            )
        ]
        leaders = sorted({m.person_id for m in members if m.role == "leader"})
        leader_days = []
        for leader in leaders:
            conversations = sum(occasion_hours(t.person_id, "leader-conversation") for t in talents if t.leader_id == leader)
            leader_days.append(common_days(leader, "leader") + conversations / s.hours_per_day)
        out.append(TimeSpent("leader", ROLE_NAMES_DA["leader"], len(leaders), statistics.fmean(leader_days) if leader_days else 0.0, s.leader_days, "dage"))
        mentors = sorted({m.person_id for m in members if m.role == "mentor"})
        mentor_hours = [sum(occasion_hours(t.person_id, "mentor") for t in talents if t.mentor_id == mentor) for mentor in mentors]
        out.append(TimeSpent("mentor", ROLE_NAMES_DA["mentor"], len(mentors), statistics.fmean(mentor_hours) if mentor_hours else 0.0, s.mentor_hours, "timer"))
        return out

    # ---- presentations --------------------------------------------------------------------------

    def summary(self, report: CohortReport, report_url: str | None, expires: datetime | None) -> dict[str, Any]:
        """The data for the admin's status card."""
        tz = ZoneInfo(report.timezone)
        local = report.generated_at.astimezone(tz)
        completion_label = "gennemført" if report.finished else "gennemført eller på vej"
        facts = [
            {"title": "Talenter", "value": f"{report.talents}: {report.completed} gennemført, {report.on_track} på vej, {report.not_completed} ikke gennemført"},
            {"title": "Forventninger indfriet", "value": f"{pct(report.expectations_rate)} ja af {report.expectation_answers} svar (mål {pct(report.expectations_target)})"},
        ]
        rated = [r for r in report.ratings if r.mean_rating is not None]
        if rated:
            facts.append({"title": "Vurdering pr. aktivitet", "value": " · ".join(f"{r.name.split(':')[0]} {num(r.mean_rating)}" for r in rated)})
        for m in report.meetings:
            facts.append({"title": m.name, "value": f"{m.held} holdt af {m.due} forfaldne ({m.planned} planlagt)"})
        boxes = " · ".join(f"boks {b}: {report.readiness_box(b)}" for b in BOXES)
        facts.append({"title": "Parathed", "value": f"{boxes} · ikke vurderet: {report.not_assessed}"})
        q = report.questions
        facts.append({"title": "Åbne spørgsmål", "value": f"{q.open} · svartid (median) {num(q.median_hours)} t" if q.available else "–"})
        for t in report.time:
            facts.append({"title": f"Tidsforbrug, {t.name.lower()}", "value": f"{num(t.average)} af {num(t.budget, 2)} {t.unit} (gns. pr. person)"})
        return {
            "cohort": report.cohort_name,
            "generated": f"Opgjort {format_date(local.date(), weekday=False)} {format_time(local)}",
            "headline": [
                {"title": f"{completion_label} (mål {pct(report.completion_target)})", "value": pct(report.completion_rate),
                 "good": report.completion_rate is not None and report.completion_rate >= report.completion_target},
                {"title": f"synes aktiviteterne levede op til forventningerne (mål {pct(report.expectations_target)})",
                 "value": pct(report.expectations_rate),
                 "good": report.expectations_rate is not None and report.expectations_rate >= report.expectations_target},
            ],
            "facts": facts,
            "report_url": report_url,
            "link_note": (
                f"Linket til rapporten virker til {format_date(expires.astimezone(tz).date(), weekday=False)} {format_time(expires.astimezone(tz))} "
                "og kun for dig – del det ikke." if report_url and expires else ""
            ),
        }

    @staticmethod
    def to_csv(report: CohortReport) -> str:
        """Every figure as rows of section, item, value, target, unit (long format for spreadsheets)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["section", "item", "value", "target", "unit"])
        rows: list[tuple[str, str, Any, Any, str]] = [
            ("completion", "talents", report.talents, "", "people"),
            ("completion", "completed", report.completed, "", "people"),
            ("completion", "on track", report.on_track, "", "people"),
            ("completion", "not completed", report.not_completed, "", "people"),
            ("completion", "rate", _r(report.completion_rate), report.completion_target, "share"),
            ("expectations", "answers", report.expectation_answers, "", "answers"),
            *[("expectations", k, v, "", "answers") for k, v in report.expectation_counts.items()],
            ("expectations", "rate", _r(report.expectations_rate), report.expectations_target, "share"),
        ]
        for r in report.ratings:
            rows += [
                ("rating", f"{r.activity_key} mean", _r(r.mean_rating), "", "1-5"),
                ("rating", f"{r.activity_key} answers", r.answers, "", "answers"),
                ("rating", f"{r.activity_key} invited", r.invited, "", "people"),
                *[("rating", f"{r.activity_key} expectations {k}", v, "", "answers") for k, v in r.expectations.items()],
            ]
        for p in report.preparation:
            for label, opened in p.steps:
                rows.append(("preparation", f"{p.activity_key} {label}", opened, p.audience, "people"))
        for m in report.meetings:
            rows += [(m.topic, "held", m.held, m.due, "occasions"), (m.topic, "planned", m.planned, "", "occasions")]
        for (aim, box), n in sorted(report.readiness.items()):
            rows.append(("readiness", f"box {box} {aim}", n, "", "talents"))
        rows.append(("readiness", "not assessed", report.not_assessed, "", "talents"))
        q = report.questions
        rows += [
            ("questions", "open", q.open if q.available else "", "", "questions"),
            ("questions", "median answer time", _r(q.median_hours) if q.available else "", "", "hours"),
        ]
        for t in report.time:
            rows.append(("time", f"{t.role} average", _r(t.average), t.budget, t.unit))
            for track, value in t.tracks.items():
                rows.append(("time", f"{t.role} {track}", _r(value), t.track_budget.get(track, ""), t.unit))
        for row in rows:
            writer.writerow(row)
        return out.getvalue()


def _r(value: float | None) -> Any:
    return "" if value is None else round(value, 4)


def _as_datetime(value: Any) -> datetime:
    """A naive UTC datetime from whatever the driver gives (SQLite gives text)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is None else moment.astimezone(timezone.utc).replace(tzinfo=None)
