"""The one role → permission table, and the route tables derived from it."""

from __future__ import annotations

import pytest

from partnerhub.governance import PERMISSIONS, ROLE_PERMISSIONS, ROLES, may, roles_with


def test_each_permission_goes_to_the_roles_of_the_agreements_page() -> None:
    assert roles_with("request_release") == ("analyst",)
    assert roles_with("list_releases") == ("analyst", "partner_viewer", "ig_officer", "admin")
    assert roles_with("read_release_content") == ("analyst", "partner_viewer", "ig_officer")
    assert roles_with("see_every_release") == ("ig_officer", "admin")
    assert roles_with("see_partner_releases") == ("analyst", "partner_viewer")
    assert roles_with("oversee_releases") == ("ig_officer",)
    assert roles_with("see_every_agreement") == ("identity_steward", "ig_officer", "admin")
    assert roles_with("read_agreements") == ROLES
    assert roles_with("view_status") == ("analyst", "ig_officer", "admin")
    assert roles_with("read_audit") == ("ig_officer",)
    assert roles_with("review_pairs") == ("identity_steward",)
    assert roles_with("read_identifiers") == ("identity_steward",)
    assert roles_with("read_partner_quarantine") == ("analyst", "partner_viewer")
    assert roles_with("read_any_quarantine") == ("identity_steward",)


def test_every_role_has_a_row_and_every_permission_a_role() -> None:
    assert set(ROLE_PERMISSIONS) == set(ROLES)
    assert all(roles_with(p) for p in PERMISSIONS)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no permission"):
        roles_with("delete_everything")  # type: ignore[arg-type]


def test_nobody_signed_out_or_unknown_may_do_anything() -> None:
    assert not any(may(None, p) for p in PERMISSIONS)  # type: ignore[arg-type]
    assert not may("superuser", "read_audit")


def test_the_route_tables_are_lookups_into_the_permission_table() -> None:
    from partnerhub.web import ACCESS, PAGES

    assert ACCESS["POST /api/releases"] == roles_with("request_release")
    assert ACCESS["GET /api/releases/{release_id}/content"] == roles_with("read_release_content")
    assert ACCESS["GET /api/audit"] == ("ig_officer",)
    assert PAGES["GET /dashboard/indicators"] == ("analyst", "partner_viewer", "ig_officer")
    assert PAGES["GET /dashboard"] == ("public", "analyst", "partner_viewer", "ig_officer", "admin")
