"""The ANCHORS reference rule set in plain, hand-written Python: the per-case limit.

`codes(case)` takes one complete case (a flat dict: the ANCHORS input, `offence_date` an ISO
string `YYYY-MM-DD`) and returns its set of procedure codes, as ANCHORS' "plain Python,
hand-written" implementation does. `reference.law` in this folder is the same rule set in our
rule language; `crosscheck.py` checks that the engine agrees with this function, and
`bench/run.py` times both.

`random_case(rng)` draws a complete case from the ANCHORS input domain; `engine_codes(decision)`
maps an engine `Decision` on `reference.law` to the same set of codes.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

ENTRY_INTO_FORCE = "2024-07-01"         # the reconciliation ban (D10)
BULLYING_PROGRAM_START = "2025-09-01"   # R10

REGIONS = ("abai", "akmola", "aktobe", "almaty_region", "atyrau", "east_kazakhstan", "jambyl",
           "jetisu", "karaganda", "kostanay", "kyzylorda", "mangystau", "north_kazakhstan",
           "pavlodar", "turkistan", "ulytau", "west_kazakhstan", "astana", "almaty", "shymkent")
RELATIONS = ("parent", "guardian", "teacher", "peer", "stranger", "other_relative")
OFFENCE_KINDS = ("physical_violence", "sexual_violence", "psychological_violence", "bullying",
                 "cyberbullying", "neglect", "property")
HARMS = ("none", "light", "moderate", "grave")
LOCATIONS = ("home", "school", "online", "public")
DISTRICTS = ("Yesil", "Saryarka", "Almaly", "Bostandyk", "Medeu", "Al-Farabi", "Kazybek Bi",
             "Abay", "Turan", "Enbekshi")

_PHYSICAL = frozenset(("physical_violence", "sexual_violence"))
_BULLYING = frozenset(("bullying", "cyberbullying"))
_FAMILY = frozenset(("parent", "guardian", "other_relative"))
_CARER = frozenset(("parent", "guardian"))
_SERIOUS = frozenset(("moderate", "grave"))


def codes(c: dict[str, Any]) -> set[str]:
    """The procedure codes of one complete case (R1-R15)."""
    kind = c["offence_kind"]
    relation = c["relation"]
    harm = c["harm"]
    repeated = c["repeated"]
    location = c["location"]
    date = c["offence_date"]
    age = c["victim_age"]
    minor = age < 18                                        # D1
    young_child = age < 14                                  # D2
    physical = kind in _PHYSICAL                            # D3
    violent = physical or kind == "psychological_violence"  # D4
    bullying = kind in _BULLYING                            # D5
    neglect = kind == "neglect"                             # D6
    family = relation in _FAMILY                            # D7
    carer = relation in _CARER                              # D8
    serious = harm in _SERIOUS                              # D9
    ban_in_force = date >= ENTRY_INTO_FORCE                 # D10
    responsible = c["offender_age"] >= 14                   # D11

    out: set[str] = set()
    # R1-R3, R1'
    allowed = (not serious
               and not (ban_in_force and minor and physical)
               and not (ban_in_force and minor and repeated and violent))
    out.add("RECONCILIATION_ALLOWED" if allowed else "RECONCILIATION_FORBIDDEN")
    # R4, except when not responsible (R12)
    if minor and ((violent and not allowed) or kind == "sexual_violence") and responsible:
        out.add("MANDATORY_PROSECUTION")
    # R15 (computed first: it defeats R5)
    placement = young_child and carer and (harm == "grave" or kind == "sexual_violence")
    if placement:
        out.add("TEMPORARY_PLACEMENT")
    # R5
    if minor and family and (violent or neglect) and (location == "home" or repeated) \
            and not placement:
        out.add("PROTECTIVE_ORDER")
    # R6, with the online exception
    if minor and (((violent or neglect) and serious) or (bullying and repeated)):
        out.add("NOTIFY_OMBUDSMAN:" + ("national" if location == "online" else c["region"]))
    # R7
    if minor and (violent or bullying or neglect):
        out.add("REFER_DISTRICT_SUPPORT_CENTER")
    # R8
    if minor and (kind == "sexual_violence" or harm == "grave"
                  or (repeated and (kind == "psychological_violence" or bullying))):
        out.add("REFER_REGIONAL_PSYCH_CENTER")
    # R9
    if minor and (violent or bullying):
        out.add("VICTIM_SUPPORT_PROGRAM")
    # R10
    if minor and date >= BULLYING_PROGRAM_START and (
            kind == "cyberbullying" or (kind == "bullying" and location == "school")):
        out.add("BULLYING_PROGRAM")
    # R11, R12
    if responsible and c["offender_age"] < 18:
        out.add("JUVENILE_JUSTICE")
    if not responsible:
        out.add("COMMISSION_ON_MINORS")
    # R13
    if minor and (relation == "teacher" or (location == "school" and (violent or bullying))):
        out.add("NOTIFY_EDUCATION_DEPT")
    # R14
    if minor and carer and (violent or neglect):
        out.add("NOTIFY_GUARDIANSHIP_AUTHORITY")
    return out


def random_case(rng: random.Random) -> dict[str, Any]:
    """A complete case from the ANCHORS input domain (dates 2020-2026, around both cut-offs)."""
    start = dt.date(2020, 1, 1).toordinal()
    end = dt.date(2026, 12, 31).toordinal()
    if rng.random() < 0.2:   # weight the days around the two cut-off dates
        pivot = dt.date(2024, 7, 1) if rng.random() < 0.5 else dt.date(2025, 9, 1)
        date = pivot + dt.timedelta(days=rng.randint(-3, 3))
    else:
        date = dt.date.fromordinal(rng.randint(start, end))
    return {
        "victim_age": rng.randint(0, 25),
        "offender_age": rng.randint(5, 70) if rng.random() < 0.7 else rng.randint(10, 19),
        "relation": rng.choice(RELATIONS),
        "offence_kind": rng.choice(OFFENCE_KINDS),
        "harm": rng.choice(HARMS),
        "repeated": rng.random() < 0.5,
        "location": rng.choice(LOCATIONS),
        "region": rng.choice(REGIONS),
        "district": rng.choice(DISTRICTS),
        "offence_date": date.isoformat(),
    }


def engine_codes(decision: Any) -> set[str]:
    """The procedure codes an engine `Decision` on reference.law stands for.

    Raises `ValueError` if the decision has conflicts or undetermined outcomes (a complete case
    must have neither) or an outcome the ANCHORS codes have no name for.
    """
    if decision.conflicts or decision.undetermined:
        pending = [u.action or u.conclusion for u in decision.undetermined]
        raise ValueError(f"conflicts={[c.message for c in decision.conflicts]} "
                         f"undetermined={pending}")
    out: set[str] = set()
    for o in decision.outcomes:
        if o.action == "reconciliation":
            if o.modality == "permitted":
                out.add("RECONCILIATION_ALLOWED")
            elif o.modality == "forbidden":
                out.add("RECONCILIATION_FORBIDDEN")
            else:
                raise ValueError(f"reconciliation {o.modality}")
        elif o.modality == "required":
            code = o.action.upper()
            if o.action == "notify_ombudsman":
                code += f":{o.args['region']}"
            out.add(code)
        elif o.modality == "forbidden" and o.action in ("protective_order",
                                                         "mandatory_prosecution"):
            pass   # R15 / R12 set these aside by forbidding them: no code
        else:
            raise ValueError(f"unexpected outcome {o.action} {o.modality}")
    return out
