from conftest import DURING, World, role, user


def test_public_staff_user_matched_case_insensitively(world: World) -> None:
    world.pre = {"users": [user("JSmith"), user("Staff1", "STAFF", created_at=DURING)],
                 "user_roles": [role("JSmith"), role("jsmith", "Cataloger")]}
    world.extract = {"patrons": [{"primary_id": "jsmith"}]}
    ledger = world.ledger()
    assert ledger[("alma", "users", "JSmith")].outcome == "refreshed"
    assert ledger[("alma", "users", "Staff1")].rule_id == "users.created-during-freeze"
    assert ledger[("extract", "patrons", "jsmith")].rule_id == "patrons.refreshes-public-staff"
    assert ledger[("alma", "user_roles", "jsmith|Cataloger|TST")].outcome == "retained"
