"""Who may see and do what: the pure rules behind every access decision."""

from __future__ import annotations

from dataclasses import replace

from bot.domain.people import Profile

ADMIN = "admin"
INSTRUCTOR = "instructor"
CONSULTANT = "consultant"
STEERING = "steering"


def visible_in_tenant(cohort_tenant: str | None, activity_tenant: str | None) -> bool:
    """Whether a cohort may be seen from an activity's tenant; a cohort without a tenant serves any (local mode)."""
    return cohort_tenant is None or cohort_tenant == activity_tenant


def person_in_tenant(person_tenant: str | None, activity_tenant: str | None) -> bool:
    """Whether a stored person may be the sender of an activity from this tenant (unbound people may)."""
    return person_tenant is None or person_tenant == activity_tenant


def scope_to_tenant(profile: Profile, tenant_id: str | None) -> Profile:
    """The profile with only the roles in cohorts the activity's tenant may see."""
    roles = tuple(r for r in profile.roles if visible_in_tenant(r.tenant_id, tenant_id))
    return profile if len(roles) == len(profile.roles) else replace(profile, roles=roles)


def admin_cohorts(profile: Profile) -> tuple[str, ...]:
    """The keys of the cohorts this person administers, in profile order."""
    return tuple(dict.fromkeys(r.cohort_key for r in profile.roles if r.role == ADMIN))


def is_admin(profile: Profile, cohort_key: str) -> bool:
    """Whether the person has the admin role in this very cohort."""
    return cohort_key in admin_cohorts(profile)


def can_answer_questions(profile: Profile, cohort_key: str | None = None) -> bool:
    """Instructors and admins answer questions (in the named cohort, when one is named)."""
    return any(r.role in (INSTRUCTOR, ADMIN) and (cohort_key is None or r.cohort_key == cohort_key) for r in profile.roles)


def can_view_plan(viewer_id: int, talent_id: int, leader_id: int | None) -> bool:
    """A development plan is shown to the talent and to their nearest leader; never to instructors or mentors."""
    return viewer_id == talent_id or (leader_id is not None and viewer_id == leader_id)


def can_edit_plan(viewer_id: int, talent_id: int) -> bool:
    """Only the talent edits their own development plan."""
    return viewer_id == talent_id


def can_view_readiness(viewer_id: int, talent_id: int, leader_id: int | None) -> bool:
    """The readiness placement is shared between the talent and their nearest leader."""
    return can_view_plan(viewer_id, talent_id, leader_id)


def can_assess_readiness(viewer_id: int, leader_id: int | None) -> bool:
    """Only the talent's nearest leader places them in the readiness criteria."""
    return leader_id is not None and viewer_id == leader_id


def can_place_self(viewer_id: int, talent_id: object) -> bool:
    """Only the talent gives their own readiness placement (before their leader places them)."""
    return isinstance(talent_id, int) and viewer_id == talent_id


def steering_cohorts(profile: Profile) -> tuple[str, ...]:
    """The keys of the cohorts whose steering group this person sits in: they see those cohorts' aggregated report."""
    return tuple(dict.fromkeys(r.cohort_key for r in profile.roles if r.role == STEERING))


def report_cohorts(profile: Profile) -> tuple[str, ...]:
    """The cohorts whose aggregated report this person may see: those they administer or steer."""
    return tuple(dict.fromkeys((*admin_cohorts(profile), *steering_cohorts(profile))))


def consultant_scopes(profile: Profile) -> tuple[tuple[int, str], ...]:
    """(cohort id, organisation) pairs whose talent-environment plans this internal consultant may see."""
    return tuple(dict.fromkeys((r.cohort_id, profile.organisation) for r in profile.roles if r.role == CONSULTANT))
