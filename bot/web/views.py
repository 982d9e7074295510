"""The tab's sections built from a talent snapshot: timeline, preparation, group track, plan, library."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.calendar import Session, takes_part
from bot.domain.danish import format_date, format_span
from bot.domain.materials import KIND_LABELS_DA, TOPIC_LABELS_DA, TOPICS, Materials
from bot.domain.nudges import Nudges
from bot.domain.programme import Programme
from bot.domain.readiness import AIM_NAMES_DA, AIMS, place
from bot.services.growth.plans import changed_fields
from bot.services.messages.links import chat_link, meeting_link
from bot.services.overview import AskedQuestion, PersonBrief, PlanRow, TalentSnapshot

PART_LABELS = {"main": "", "day1": "Dag 1", "day2": "Dag 2"}
PREPARATION_HOURS_PER_ACTIVITY = 2  # the programme's budget: 2 hours × 9 activities = 18 hours
PLAN_FIELDS = (
    ("individual", "Mål for dig som leder (individ)"),
    ("team", "Mål for dit team"),
    ("organisation", "Mål for organisationen"),
    ("notes", "Noter"),
    ("environment", "Plan for lokale talentmiljøer (fra afslutningsseminaret)"),
)
# The group and everyday track as the tab lists it: topic, heading, how many the programme asks for.
TRACKS = (
    ("buddy-meeting", "Buddy-møder", "4 under forløbet + 2 efter"),
    ("leader-conversation", "Samtaler med nærmeste leder", "8 i alt"),
    ("leader-group", "Møder i din leders ledergruppe", "mindst 3"),
    ("mentor", "Mentorsamtaler", "cirka 3, efter aftale"),
    ("lederspejl", "Lederspejl", "mellem dag 1 og dag 2 i modul 1"),
    ("skyggepraktik", "Skyggepraktik", "mellem dag 1 og dag 2 i modulet"),
    ("follow-up", "Opfølgning efter programmet", "2 samtaler"),
)
TRACK_ATTENDEES = {
    "buddy-meeting": "buddies",
    "skyggepraktik": "buddies",
    "lederspejl": "",
    "leader-conversation": "leader",
    "leader-group": "leader",
    "follow-up": "leader",
    "mentor": "mentor",
}


def day(moment: datetime, tz: ZoneInfo, *, year: bool = False, now: datetime | None = None) -> str:
    """'12. januar' (with the year when asked, or when it is not the year of `now`)."""
    local = moment.astimezone(tz).date()
    show_year = year or (now is not None and local.year != now.astimezone(tz).year)
    return format_date(local, weekday=False, year=show_year)


def duration(minutes: int) -> str:
    """'1 t 25 min', '40 min', '18 t'."""
    hours, rest = divmod(max(minutes, 0), 60)
    if hours and rest:
        return f"{hours} t {rest} min"
    return f"{hours} t" if hours else f"{rest} min"


def timeline(programme: Programme, sessions: Iterable[Session], roles: Iterable[str], now: datetime, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Every activity the roles take part in, in programme order, with its sessions and whether it is past or current."""
    by_activity: dict[str, list[Session]] = {}
    for s in sessions:
        by_activity.setdefault(s.activity_key, []).append(s)
    items = []
    for activity in programme.activities:
        if not takes_part(activity, roles):
            continue
        parts = sorted(by_activity.get(activity.key, []), key=lambda s: s.starts_at)
        items.append(
            {
                "key": activity.key,
                "name": activity.name,
                "sessions": [
                    {
                        "label": PART_LABELS.get(s.part, s.part),
                        "when": format_span(s.starts_at.astimezone(tz), s.ends_at.astimezone(tz)),
                        "iso": s.starts_at.astimezone(tz).isoformat(timespec="minutes"),
                        "venue": s.venue,
                    }
                    for s in parts
                ],
                "past": bool(parts) and all(s.ends_at <= now for s in parts),
                "dated": bool(parts),
                "current": False,
                "starts_at": parts[0].starts_at if parts else None,
            }
        )
    # "Du er her": the first dated activity that has not ended (it may be under way)
    here = next((i for i in items if i["dated"] and not i["past"]), None)
    if here is not None:
        here["current"] = True
    return items


def _released(row: PlanRow, now: datetime) -> bool:
    """A material is out when due; one skipped because its activity had started still counts (as in the library)."""
    return row.due_at <= now and (row.status != "skipped" or row.status_reason == "activity started")


def preparation(
    snapshot: TalentSnapshot, programme: Programme, materials: Materials, now: datetime, tz: ZoneInfo
) -> dict[str, dict[str, Any]]:
    """Per activity: the three steps with their state (kommer, klar, set ✔), and the time opened against the budget."""
    rows = {(r.activity_key, r.topic): r for r in snapshot.rows if r.kind == "material"}
    out: dict[str, dict[str, Any]] = {}
    for activity in programme.activities:
        steps = []
        for topic in TOPICS:
            row = rows.get((activity.key, topic))
            material = snapshot.materials.get((activity.key, topic))
            if row is None or material is None or (row.status == "skipped" and not _released(row, now)):
                continue
            seen_at = snapshot.seen.get((activity.key, topic))
            released = _released(row, now)
            if seen_at is not None:
                state, label = "seen", f"Set ✔ {day(seen_at, tz)}"
            elif released:
                state, label = "ready", "Klar"
            else:
                state, label = "coming", f"Kommer {day(row.due_at, tz, now=now)}"
            steps.append(
                {
                    "activity_key": activity.key,
                    "topic": topic,
                    "topic_label": TOPIC_LABELS_DA[topic],
                    "kind_label": KIND_LABELS_DA.get(material.kind, material.kind),
                    "title": material.title,
                    "description": material.description,
                    "url": material.url if released or seen_at else None,
                    "minutes": material.minutes,
                    "duration": duration(material.minutes),
                    "state": state,
                    "state_label": label,
                    "optional": topic == "literature",
                }
            )
        if steps:
            sequence = materials.sequences.get(activity.key)
            out[activity.key] = {
                "steps": steps,
                "open": any(s["state"] == "ready" for s in steps),
                "seen": sum(1 for s in steps if s["state"] == "seen"),
                "total": len(steps),
                "minutes": sequence.minutes if sequence else sum(s["minutes"] for s in steps),
            }
    return out


def budget(prep: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The programme's preparation budget against the minutes of what the talent has opened."""
    activities = len(prep)
    opened = sum(s["minutes"] for p in prep.values() for s in p["steps"] if s["state"] == "seen")
    budget_minutes = activities * PREPARATION_HOURS_PER_ACTIVITY * 60
    return {
        "activities": activities,
        "budget": duration(budget_minutes),
        "budget_minutes": budget_minutes,
        "opened": duration(opened),
        "opened_minutes": opened,
        "seen": sum(p["seen"] for p in prep.values()),
        "total": sum(p["total"] for p in prep.values()),
    }


def _attendees(topic: str, snapshot: TalentSnapshot) -> list[PersonBrief]:
    who = TRACK_ATTENDEES.get(topic, "")
    if who == "buddies":
        return list(snapshot.buddies)
    if who == "leader" and snapshot.leader is not None:
        return [snapshot.leader]
    if who == "mentor" and snapshot.mentor is not None:
        return [snapshot.mentor]
    return []


def group_track(
    snapshot: TalentSnapshot, nudges: Nudges, programme: Programme, now: datetime, tz: ZoneInfo, viewer_is_talent: bool
) -> dict[str, Any]:
    """The buddy group and every group/everyday occasion with its window and state (holdt, planlagt, mangler)."""
    names = [b.name for b in snapshot.buddies]
    emails = [b.email for b in snapshot.buddies]
    tracks = []
    for topic, heading, expected in TRACKS:
        definition = nudges.definitions.get(topic)
        rows = sorted((r for r in snapshot.rows if r.kind == "nudge" and r.topic == topic), key=lambda r: (r.seq, r.due_at))
        if definition is None or not rows:
            continue
        attendees = _attendees(topic, snapshot)
        if viewer_is_talent is False and topic in ("leader-conversation", "leader-group", "follow-up"):
            attendees = [snapshot.talent]
        items = []
        for r in rows:
            n = r.seq or 1
            if r.action == "done":
                state, label = "done", f"Holdt ✔ {day(r.acted_at or r.due_at, tz)}"
            elif r.due_at > now:
                state, label = "planned", "Planlagt"
            elif r.not_after is not None and now < r.not_after:
                state, label = "due", "Nu"  # the window is open: not missing yet
            else:
                state, label = "missing", "Mangler"
            window = f"fra {day(r.due_at, tz, now=now)}"
            if r.not_after is not None:
                window += f" til {day(r.not_after, tz, now=now)}"
            subject = (definition.meeting_subject or definition.title).format(n=n)
            title = definition.title.format(n=n, activity="")
            items.append(
                {
                    "plan_id": r.id,
                    "n": n,
                    "title": title,
                    "window": window,
                    "note": r.note,
                    "state": state,
                    "state_label": label,
                    # the card's buttons: "Holdt ✔" once the nudge is out; booking whenever there is someone to invite
                    "can_mark": viewer_is_talent and state != "done" and r.due_at <= now,
                    "book_url": meeting_link(subject, [p.email for p in attendees])
                    if attendees and definition.meeting_subject and state != "done"
                    else None,
                }
            )
        # booking belongs to the next occasion not held; older ones only need their "Holdt ✔"
        upcoming = next((i for i in items if i["state"] != "done"), None)
        for i in items:
            if i is not upcoming:
                i["book_url"] = None
        held = sum(1 for i in items if i["state"] == "done")
        tracks.append({"topic": topic, "heading": heading, "expected": expected, "held": held, "count": len(items), "occasions": items})
    return {
        "buddies": [{"name": b.name, "organisation": b.organisation} for b in snapshot.buddies],
        "buddy_names": names,
        "chat_url": chat_link(emails, "Buddy'er – Talent Nord") if emails else None,
        "meeting_url": meeting_link("Buddy-møde – Talent Nord", emails) if emails else None,
        "tracks": tracks,
    }


def development_plan(snapshot: TalentSnapshot, tz: ZoneInfo) -> dict[str, Any]:
    """The plan's fields, its dated history (newest first) and the readiness result when there is one."""
    plan = snapshot.plan
    history, previous = [], None
    for rev in snapshot.revisions:
        history.append(
            {
                "when": day(rev.created_at, tz, year=True),
                "who": rev.editor,
                "what": changed_fields(previous, rev.fields),
                "version": rev.version,
            }
        )
        previous = rev.fields
    readiness = None
    if snapshot.readiness is not None:
        p = place(snapshot.readiness.aim, snapshot.readiness.tasks, snapshot.readiness.performance)
        readiness = {
            "box": p.box,
            "aim": p.aim_da,
            "tasks": p.tasks_da,
            "performance": p.performance_da,
            "description": p.description,
            "recommendation": p.recommendation,
        }
    own = snapshot.readiness_own
    own_placement = place(own.aim, own.tasks, own.performance) if own is not None else None
    aim = (plan.aim if plan else None) or ""
    return {
        "aim": aim,
        "aim_label": AIM_NAMES_DA.get(aim, "Ikke valgt endnu"),
        "aims": [{"value": a, "label": AIM_NAMES_DA[a]} for a in AIMS],
        "fields": [{"name": k, "label": label, "value": (getattr(plan, k) if plan else "") or ""} for k, label in PLAN_FIELDS],
        "updated": f"Senest gemt {day(plan.updated_at, tz, year=True)} (version {plan.version})" if plan and plan.version else "",
        "history": list(reversed(history)),
        "readiness": readiness,
        "apprentices": list((plan.apprentices if plan else None) or []),
        "readiness_own": {"box": own_placement.box, "aim": own_placement.aim_da} if own_placement else None,
    }


def library(
    snapshot: TalentSnapshot, programme: Programme, now: datetime, tz: ZoneInfo, query: str, months_after_end: int
) -> dict[str, Any]:
    """Everything released to the talent, filtered by a search; open until a year after the last activity."""
    last = max((s.ends_at for s in snapshot.sessions), default=None)
    closes = last + timedelta(days=round(365 * months_after_end / 12)) if last else None
    if closes is not None and now >= closes:
        return {"closed": True, "closes": day(closes, tz, year=True), "groups": [], "query": query, "hits": 0}
    released = {(r.activity_key, r.topic) for r in snapshot.rows if r.kind == "material" and _released(r, now)}
    words = query.casefold().split()
    groups, hits = [], 0
    for activity in programme.activities:
        items = []
        for topic in TOPICS:
            material = snapshot.materials.get((activity.key, topic))
            if material is None or (activity.key, topic) not in released:
                continue
            haystack = f"{activity.name} {material.title} {material.description} {material.kind}".casefold()
            if not all(w in haystack for w in words):
                continue
            seen_at = snapshot.seen.get((activity.key, topic))
            items.append(
                {
                    "title": material.title,
                    "kind_label": KIND_LABELS_DA.get(material.kind, material.kind),
                    "duration": duration(material.minutes),
                    "url": material.url,
                    "seen": f"Set ✔ {day(seen_at, tz)}" if seen_at else None,
                }
            )
        if items:
            hits += len(items)
            groups.append({"activity": activity.name, "materials": items})
    return {"closed": False, "closes": day(closes, tz, year=True) if closes else "", "groups": groups, "query": query, "hits": hits}


def matching(files: list[dict[str, str]], query: str) -> list[dict[str, str]]:
    """The library's files whose title, kind or place hold every word of the search."""
    words = query.casefold().split()
    return [f for f in files if all(w in f"{f['title']} {f['kind_label']} {f['where']}".casefold() for w in words)]


def questions(asked: list[AskedQuestion], tz: ZoneInfo) -> list[dict[str, Any]]:
    """The person's questions to the instructors with status and answer."""
    return [
        {
            "text": q.text,
            "asked": day(q.created_at, tz, year=True),
            "answered": q.status == "answered" and bool(q.answer),
            "status": f"Besvaret {day(q.answered_at, tz)}" if q.status == "answered" and q.answered_at else "Venter på svar",
            "answer": q.answer or "",
        }
        for q in asked
    ]


def conversation_guide(snapshot: TalentSnapshot, nudges: Nudges, tz: ZoneInfo, now: datetime) -> dict[str, Any] | None:
    """The next leader conversation not yet held, with its note and the programme's questions."""
    definition = nudges.definitions.get("leader-conversation")
    rows = sorted(
        (r for r in snapshot.rows if r.kind == "nudge" and r.topic == "leader-conversation" and r.action != "done"), key=lambda r: r.seq
    )
    if definition is None or not rows:
        return None
    row = rows[0]
    return {
        "title": definition.title.format(n=row.seq, activity=""),
        "when": f"fra {day(row.due_at, tz, now=now)}" + (f" til {day(row.not_after, tz, now=now)}" if row.not_after else ""),
        "note": row.note,
        "questions": list(definition.questions),
        "book_url": meeting_link((definition.meeting_subject or definition.title).format(n=row.seq), [snapshot.talent.email]),
    }
