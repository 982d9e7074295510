"""Who someone is in the programme: their roles per cohort."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.programme import LEVEL_NAMES_DA, ROLE_NAMES_DA


@dataclass(frozen=True)
class TeamsIdentity:
    """What an inbound activity tells us about its sender."""

    aad_object_id: str | None
    user_id: str
    name: str
    tenant_id: str | None
    email: str | None = None  # from the member lookup, when we asked


@dataclass(frozen=True)
class RoleInCohort:
    """One role someone has in one cohort."""

    cohort_id: int
    cohort_key: str
    cohort_name: str
    timezone: str
    role: str
    level: str | None = None
    leader_name: str | None = None
    mentor_name: str | None = None
    tenant_id: str | None = None  # the cohort's tenant; None serves any tenant

    @property
    def role_da(self) -> str:
        return ROLE_NAMES_DA.get(self.role, self.role)

    @property
    def level_da(self) -> str:
        return LEVEL_NAMES_DA.get(self.level or "", "")


@dataclass(frozen=True)
class Profile:
    """A rostered person and all their roles."""

    person_id: int
    email: str
    name: str
    organisation: str
    roles: tuple[RoleInCohort, ...]

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else self.name

    def has_role(self, role: str) -> bool:
        return any(r.role == role for r in self.roles)

    def roles_in(self, cohort_id: int) -> tuple[str, ...]:
        return tuple(r.role for r in self.roles if r.cohort_id == cohort_id)

    @property
    def cohort_ids(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(r.cohort_id for r in self.roles))
