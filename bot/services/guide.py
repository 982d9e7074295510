"""What a person sees when they talk to the bot: welcome, help, their next activity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.calendar import Upcoming, upcoming
from bot.domain.danish import days_until, format_date, format_span
from bot.domain.people import Profile
from bot.domain.programme import Programme
from bot.services.directory import Directory
from bot.services.reply import Reply, notice

PART_LABELS = {"main": "Tid", "day1": "Dag 1", "day2": "Dag 2"}
HELP_COMMANDS = (
    ("næste", "Din næste aktivitet, og hvad du skal forberede"),
    ("materialer", "Dit bibliotek med forberedelsesmaterialer"),
    ("udviklingsplan", "Din udviklingsplan – eller dine talenters, hvis du er nærmeste leder"),
    ("spørg …", "Stil et spørgsmål til underviserne"),
    ("hjælp", "Denne oversigt"),
)
# what the bot does for someone, by their first role in this order: only talents and leaders get preparation
INTROS = (
    (
        "talent",
        "Jeg er programmets digitale følgesvend. Jeg sender dig forberedelse før hver aktivitet, minder dig om "
        "møder og samtaler undervejs og hjælper med dine spørgsmål til underviserne.",
    ),
    (
        "leader",
        "Jeg er programmets digitale følgesvend. Jeg sender dig forberedelse før de aktiviteter, du er med til, "
        "og minder dig om samtalerne og møderne med dit talent undervejs.",
    ),
    ("mentor", "Jeg er programmets digitale følgesvend. Jeg minder dig om mentorsamtalerne med dit talent undervejs."),
    (
        "instructor",
        "Jeg er programmets digitale følgesvend. Jeg samler talenternes spørgsmål til underviserne i jeres "
        "kanal, så I kan svare dem, og minder jer om dem, der venter på svar.",
    ),
    (
        "consultant",
        "Jeg er programmets digitale følgesvend. Jeg sender dig forberedelse før afslutningsseminaret og "
        "alumnedagen, og under »udviklingsplan« ser du de planer for lokale talentmiljøer, som talenterne fra "
        "din organisation laver sammen med dig og deres nærmeste leder.",
    ),
    (
        "steering",
        "Jeg er programmets digitale følgesvend. Jeg minder dig om styregruppens møder med et link til holdets "
        "rapport, og du kan altid skrive »status« for at se de samlede tal.",
    ),
    (
        "admin",
        "Jeg er programmets digitale følgesvend. Som administrator kan du se holdets status, sende beskeder og "
        "udgive materialer: skriv »status«, »udsend« eller »publicér«.",
    ),
)
PREPARATION_TEXT = (
    "Cirka to uger før får du her i chatten en kort video eller podcast, en uge før en kort artikel, "
    "og lidt senere valgfri grundlitteratur. Regn med cirka 2 timers forberedelse i alt."
)
LEADER_PREPARATION_TEXT = "Du får forberedelse her i chatten før aktiviteten. Tal gerne med dit talent om forventningerne inden."


class Guide:
    """Builds the replies for the everyday commands."""

    def __init__(self, programme: Programme, directory: Directory, clock: Callable[[], datetime]) -> None:
        self.programme = programme
        self.directory = directory
        self.clock = clock
        # Where the "Mit forløb" button points for an email (bot.web.links.tab_link); None: no button.
        self.tab_link: Callable[[str | None], str | None] | None = None

    async def _upcoming(self, profile: Profile) -> list[tuple[Upcoming, ZoneInfo]]:
        now = self.clock()
        calendars = await self.directory.sessions(profile.cohort_ids)
        found: list[tuple[Upcoming, ZoneInfo]] = []
        for cohort_id, sessions in calendars.items():
            tz = ZoneInfo(next(r.timezone for r in profile.roles if r.cohort_id == cohort_id))
            for item in upcoming(self.programme, sessions, profile.roles_in(cohort_id), now):
                found.append((item, tz))
        found.sort(key=lambda pair: pair[0].starts_at)
        return found

    def _when(self, item: Upcoming, tz: ZoneInfo) -> dict[str, str]:
        first = item.sessions[0]
        start = first.starts_at.astimezone(tz)
        today = self.clock().astimezone(tz).date()
        return {
            "name": item.activity.name,
            "when": format_span(start, first.ends_at.astimezone(tz)),
            "venue": first.venue,
            "until": days_until(today, start.date()) if start.date() >= today else "i gang nu",
        }

    async def welcome(self, profile: Profile) -> Reply:
        """The welcome card: who they are in the programme and what is next."""
        roles = []
        for role in profile.roles:
            text = f"{role.role_da.capitalize()} på {role.cohort_name}"
            if role.level:
                text += f" ({role.level_da})"
            if role.leader_name:
                text += f" · nærmeste leder: {role.leader_name}"
            roles.append(text)
        items = await self._upcoming(profile)
        nxt = self._when(*items[0]) if items else None
        cohort_name = profile.roles[0].cohort_name if profile.roles else ""
        return Reply(
            "welcome",
            {
                "first_name": profile.first_name,
                "roles": roles,
                "cohort_name": cohort_name,
                "next": nxt,
                "intro": next((text for role, text in INTROS if profile.has_role(role)), INTROS[0][1]),
                "tab_url": self._tab_url(profile),
            },
        )

    def help(self, profile: Profile | None = None) -> Reply:
        """The help card."""
        return Reply(
            "help",
            {"commands": [{"command": c, "text": t} for c, t in HELP_COMMANDS], "is_admin": False, "tab_url": self._tab_url(profile)},
        )

    def _tab_url(self, profile: Profile | None) -> str | None:
        return self.tab_link(profile.email if profile else None) if self.tab_link else None

    async def next(self, profile: Profile) -> Reply:
        """The next activity with its sessions, purpose and preparation."""
        items = await self._upcoming(profile)
        if not items:
            return notice(
                "Ingen kommende aktiviteter",
                "Der er ingen kommende aktiviteter i din kalender lige nu. Når LEAD har lagt datoerne ind, kan du se dem her.",
            )
        item, tz = items[0]
        head = self._when(item, tz)
        sessions = [
            {
                "label": PART_LABELS.get(s.part, s.part),
                "when": format_span(s.starts_at.astimezone(tz), s.ends_at.astimezone(tz)),
                "venue": s.venue,
            }
            for s in item.sessions
        ]
        is_talent = profile.has_role("talent")
        later = [
            {
                # a no-break space after "28." keeps Teams' Markdown from reading the date as a numbered list
                "when": format_date(other.starts_at.astimezone(other_tz).date(), weekday=False).replace(". ", ".\u00a0", 1),
                "name": other.activity.name,
            }
            for other, other_tz in items[1:4]
        ]
        return Reply(
            "next_activity",
            {
                "name": head["name"],
                "until": head["until"],
                "sessions": sessions,
                "purpose": item.activity.purpose,
                "bring": item.activity.bring,
                "preparation": PREPARATION_TEXT if is_talent else LEADER_PREPARATION_TEXT,
                "later": later,
            },
        )

    def not_rostered(self, name: str) -> Reply:
        """The polite card for someone not on any roster."""
        return Reply("not_rostered", {"name": name})

    def fallback(self, text: str) -> Reply:
        """For text we did not understand: never silence."""
        return Reply("fallback", {"text": text})
