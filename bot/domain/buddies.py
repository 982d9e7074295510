"""Buddy pairs: same leadership level, preferably another organisation, else another area; one trio if odd."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    """A talent as the matching sees them."""

    person_id: int
    email: str
    level: str
    organisation: str
    area: str = ""


def _stable_order(candidates: list[Candidate]) -> list[Candidate]:
    # Deterministic but not alphabetical (so the same surnames do not always meet): hash of the email.
    return sorted(candidates, key=lambda c: (hashlib.sha1(c.email.encode()).hexdigest(), c.email))


def _affinity(a: Candidate, b: Candidate) -> int:
    """Lower is better: another organisation (0), same organisation but another area (1), same both (2)."""
    if a.organisation.casefold() != b.organisation.casefold():
        return 0
    if a.area and b.area and a.area.casefold() != b.area.casefold():
        return 1
    return 2


def _best_match(first: Candidate, pool: list[Candidate]) -> int:
    """The first index with the lowest affinity, as min((affinity, index)) finds it, but stopping at the first 0.

    The pool is sorted biggest organisation first, so someone from another organisation is soon found:
    about linear in the pool instead of a full scan per pick (quadratic)."""
    best, best_affinity = 0, 3
    for i, other in enumerate(pool):
        affinity = _affinity(first, other)
        if affinity < best_affinity:
            best, best_affinity = i, affinity
            if affinity == 0:
                break
    return best


def _pair_level(candidates: list[Candidate]) -> list[list[Candidate]]:
    """Greedy, most-constrained first: people from the biggest organisation choose first."""
    pool = _stable_order(candidates)
    sizes: dict[str, int] = {}
    for c in pool:
        sizes[c.organisation.casefold()] = sizes.get(c.organisation.casefold(), 0) + 1
    pool.sort(key=lambda c: -sizes[c.organisation.casefold()])  # stable: keeps the hash order within a size
    groups: list[list[Candidate]] = []
    while len(pool) >= 2:
        first = pool.pop(0)
        best = _best_match(first, pool)
        groups.append([first, pool.pop(best)])
    if pool:  # an odd one out joins the group where they fit best: a trio, nobody left alone
        last = pool.pop()
        if groups:
            target = min(range(len(groups)), key=lambda i: (sum(_affinity(last, m) for m in groups[i]), i))
            groups[target].append(last)
        else:
            groups.append([last])
    return groups


def suggest_groups(candidates: list[Candidate]) -> list[tuple[int, ...]]:
    """Buddy groups (pairs, and one trio per level with an odd count) as person ids, deterministic."""
    by_level: dict[str, list[Candidate]] = {}
    for c in candidates:
        by_level.setdefault(c.level, []).append(c)
    groups: list[tuple[int, ...]] = []
    for level in sorted(by_level):
        for group in _pair_level(by_level[level]):
            groups.append(tuple(sorted(m.person_id for m in group)))
    return groups


def check_groups(groups: list[list[str]], talents: dict[str, str]) -> list[str]:
    """Problems with groups LEAD sets by hand (emails → level); empty when fine."""
    problems = []
    seen: dict[str, int] = {}
    for number, group in enumerate(groups, start=1):
        if len(group) < 2:
            problems.append(f"gruppe {number}: en buddy-gruppe skal have mindst to personer")
        if len(group) > 3:
            problems.append(f"gruppe {number}: højst tre personer i en buddy-gruppe")
        for email in group:
            if email not in talents:
                problems.append(f"gruppe {number}: {email} er ikke talent på holdet")
            elif email in seen:
                problems.append(f"gruppe {number}: {email} er allerede i gruppe {seen[email]}")
            else:
                seen[email] = number
        levels = {talents[e] for e in group if e in talents}
        if len(levels) > 1:
            problems.append(f"gruppe {number}: buddy'erne skal være på samme ledelsesniveau ({', '.join(sorted(levels))})")
    missing = sorted(set(talents) - set(seen))
    if missing:
        problems.append(f"uden buddy: {', '.join(missing)}")
    return problems
