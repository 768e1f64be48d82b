"""BOLA matrix (BR-16, BR-29 to BR-33, BR-37; API.md: 401 / 403 / 404): every route of the
inventory × every kind of caller, against the real app. The table and the machinery are in
`tests/security/bola.py` (also used by the bench: `bola.figures()`)."""

from __future__ import annotations

from types import SimpleNamespace

from tests.security import bola


def test_every_route_of_the_inventory_has_a_row_and_every_row_a_route():
    """A new route without a row fails the build; so does a row left behind by a removed route."""
    missing, stale = bola.coverage_gaps()
    assert not missing, f"routes without a row in tests/security/bola.py EXPECTED: {sorted(missing)}"
    assert not stale, f"rows without a route: {sorted(stale)}"
    assert all(set(row) == set(bola.KINDS) for row in bola.EXPECTED.values())


def test_a_route_without_a_row_is_reported():
    """The coverage check itself can fail: an unknown route shows up as missing."""
    routes = bola.inventory() + [SimpleNamespace(method="GET", path="/espaces/{espace_id}/secrets", auth="holder")]
    missing, stale = bola.coverage_gaps(routes)
    assert missing == {("GET", "/espaces/{espace_id}/secrets")} and not stale


def test_every_chalice_route_goes_through_the_inventory():
    """A route added with a bare `bp.route` (no `route()`) would escape the inventory, hence the
    matrix: every (method, path) Chalice serves is in the REGISTRY."""
    from mes_local.functions import api_app
    app = api_app().app
    served = {(method, path) for path, methods in app.routes.items() for method in methods}
    assert served == {(r.method, r.path) for r in bola.inventory()}


def test_the_bola_matrix_holds_for_every_route_and_every_caller(api, aws, clock, psc):
    world = bola.build_world(api, aws, clock, psc)
    cells = bola.run_matrix(world)
    unexpected = [str(c) for c in cells if c.unexpected]
    assert not unexpected, "\n".join(unexpected)
    # the controls ran: the rightful callers got their 200s on the very same ids
    controls = [c for c in cells if c.kind in (bola.OWNER, bola.PS) and c.expected == 200]
    assert len(controls) == sum(row[k] == 200 for row in bola.EXPECTED.values() for k in (bola.OWNER, bola.PS))
    assert len(controls) >= 15 and all(c.got == 200 for c in controls)
    # every route was exercised by at least the no-token and another-holder/PS columns
    assert {(c.method, c.path) for c in cells} == set(bola.EXPECTED) - {
        key for key, row in bola.EXPECTED.items() if all(v is None for v in row.values())}
