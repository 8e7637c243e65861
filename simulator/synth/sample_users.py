"""The sample's people: Alma users and their roles, and the extract's patrons, one group per case
of the users, user_roles and patrons rules."""

from __future__ import annotations

from simulator.synth.sample_tables import BEFORE, DURING, INSTITUTION, Row, Sample

STAFF_ROLES = ["Circulation Desk Operator", "Cataloger", "Purchase Operator",
               "Fulfillment Services Operator", "General System Administrator"]
PATRON_ROLES = ["Patron", "200"]


def user_row(pid: str, rtype: str, origin: str, internal_id: int, created: str = BEFORE,
             updated: str = BEFORE, group: str = "UNDERGRAD") -> Row:
    return {
        "primary_id": pid, "record_type": rtype, "internal_id": str(internal_id),
        "account_type": "EXTERNAL" if origin == "MIGRATED" else "INTERNAL",
        "user_group": group, "status": "ACTIVE", "origin": origin,
        "username": pid.lower(), "email": f"{pid.lower()}@scrubbed.invalid",
        "created_at": created, "updated_at": updated,
    }


def role_row(pid: str, role_type: str) -> Row:
    return {"primary_id": pid, "role_type": role_type, "scope": INSTITUTION, "status": "ACTIVE"}


def patron_row(pid: str, group: str, first: str, last: str) -> Row:
    """The address is the person's name, as a legacy system holds it (Alma's are scrubbed)."""
    return {
        "primary_id": pid, "user_group": group,
        "email": f"{first.lower()}.{last.lower()}{len(pid)}@mail.northfield.example",
        "username": pid.lower(), "original_id": "L" + pid[1:],
    }


class People:
    """Adds users, roles and patrons, drawing names and internal ids in the sample's order; a
    patron of a freeze user takes that user's name."""

    def __init__(self, g: Sample) -> None:
        self.g = g
        self.internal = iter(range(9_100_000, 9_200_000, 7))
        self.names: dict[str, tuple[str, str]] = {}

    def user(self, snap: str, pid: str, rtype: str, origin: str, created: str = BEFORE,
             updated: str = BEFORE, group: str = "UNDERGRAD", iid: int | None = None) -> None:
        first, last = self.g.name()
        self.g.add(snap, "users", user_row(pid, rtype, origin,
                                           iid if iid is not None else next(self.internal),
                                           created, updated, group))
        if snap == "freeze":
            self.names[pid] = (first, last)

    def role(self, pid: str, role_type: str) -> None:
        self.g.add("freeze", "user_roles", role_row(pid, role_type))

    def patron(self, pid: str, group: str = "UNDERGRAD") -> None:
        # A name is drawn even for a known user: the committed sample was generated so.
        first, last = self.names.get(pid, self.g.name())
        self.g.add("extract", "patrons", patron_row(pid, group, first, last))


def users(g: Sample) -> None:
    people = People(g)
    migrated_public(people)
    created_in_freeze(people)
    staff(people)
    converted_to_staff(people)
    for i in range(1, 11):
        people.user("freeze", f"K{i:04d}", "CONTACT", "CREATED", group="CONTACT")
    # New patrons only in the legacy system.
    for i in range(1, 601):
        people.patron(f"N{i:05d}", g.r.choice(["UNDERGRAD", "GRAD"]))


def migrated_public(people: People) -> None:
    """Public migrated users from the test load; most come again in the extract."""
    r = people.g.r
    for i in range(1, 2601):
        pid = f"P{i:05d}"
        group = r.choice(["UNDERGRAD", "UNDERGRAD", "GRAD", "FACULTY", "ALUMNI"])
        people.user("freeze", pid, "PUBLIC", "MIGRATED", group=group)
        people.user("testload", pid, "PUBLIC", "MIGRATED", group=group)
        people.role(pid, r.choice(PATRON_ROLES))
        if i <= 2450:
            # A few Primary IDs arrive in another letter case: still the same user.
            people.patron(pid.lower() if i % 97 == 0 else pid, group)
        if 2401 <= i <= 2440:
            people.role(pid, r.choice(STAFF_ROLES))  # public user with a staff role, matched
        if 2551 <= i <= 2560:
            people.role(pid, r.choice(STAFF_ROLES))  # public user with a staff role, unmatched


def created_in_freeze(people: People) -> None:
    """Public users created by hand in Alma during the freeze."""
    for i in range(1, 4):
        pid = f"PF{i:03d}"
        people.user("freeze", pid, "PUBLIC", "CREATED", created=DURING, updated=DURING)
        people.role(pid, "Patron")


def staff(people: People) -> None:
    """Staff created in Alma, some during the freeze; three collide with incoming patrons."""
    for i in range(1, 61):
        pid = f"S{i:04d}"
        created = DURING if i <= 5 else BEFORE
        updated = DURING if 6 <= i <= 9 else created
        people.user("freeze", pid, "STAFF", "CREATED", created=created, updated=updated,
                    group="STAFF")
        people.role(pid, STAFF_ROLES[i % len(STAFF_ROLES)])
        people.role(pid, "Patron")
        if i >= 58:
            people.patron(pid, "STAFF")


def converted_to_staff(people: People) -> None:
    """Public users loaded at the test load and changed to staff since: their patrons bounce."""
    for i in range(1, 31):
        pid = f"C{i:04d}"
        iid = next(people.internal)
        people.user("testload", pid, "PUBLIC", "MIGRATED", iid=iid)
        people.user("freeze", pid, "STAFF", "MIGRATED", group="STAFF", iid=iid)
        people.role(pid, STAFF_ROLES[i % len(STAFF_ROLES)])
        if i <= 25:
            people.patron(pid, "FACULTY")


def created_public_staff(g: Sample) -> None:
    """Public users created by hand in Alma before the freeze (not migrated) who were given a
    staff-oriented role, e.g. student assistants at the desk; the extract has their patrons.
    Added after the rest with fixed names, so no earlier record's draws change."""
    people = [("Ada", "Quist"), ("Omar", "Novak"), ("Vera", "Ito")]
    for i, (first, last) in enumerate(people, 1):
        pid = f"PS{i:03d}"
        g.add("freeze", "users", user_row(pid, "PUBLIC", "CREATED", 9_300_000 + i))
        for role_type in ("Patron", STAFF_ROLES[i % len(STAFF_ROLES)]):
            g.add("freeze", "user_roles", role_row(pid, role_type))
        g.add("extract", "patrons", patron_row(pid, "UNDERGRAD", first, last))
