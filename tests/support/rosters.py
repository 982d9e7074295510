"""Generated rosters with the real programme's shape, larger than the demo's, for tests that need a cohort of some size."""

from __future__ import annotations

LEVELS = ("leder-af-medarbejdere", "leder-af-ledere")
HEADER = "email,name,role,organisation,level,leader_email,mentor_email"


def generated_roster(talents: int, *, leader_shift: int = 0) -> list[str]:
    """The roster CSV's lines: talents/5 leaders (five talents each), talents/10 mentors (every second talent has one), staff.

    `leader_shift` gives every talent the leader that many places on (a change of everyone's nearest leader)."""
    leaders, mentors = max(1, talents // 5), max(1, talents // 10)
    lines = [HEADER]
    lines += [f"leder{i}@gen.example,Leder {i},leader,Kommune {i % 4},,," for i in range(leaders)]
    lines += [f"mentor{i}@gen.example,Mentor {i},mentor,Region,,," for i in range(mentors)]
    lines += ["underviser@lead.example,Underviser,instructor,LEAD,,,", "admin@lead.example,Admin,admin,LEAD,,,"]
    lines += ["styre@lead.example,Styregruppe,steering,LEAD,,,"]
    for i in range(talents):
        leader = (i // 5 + leader_shift) % leaders
        mentor = f"mentor{i // 2 % mentors}@gen.example" if i % 2 == 0 else ""
        lines.append(f"talent{i}@gen.example,Talent {i},talent,Kommune {leader % 4},{LEVELS[i % 2]},leder{leader}@gen.example,{mentor}")
    return lines
