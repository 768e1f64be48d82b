"""Forged tokens (BR-11 holder tokens, BR-28 PS tokens): every kind in `tests/security/forged.py`
is refused with 401 by the views and by the API Gateway TOKEN authorizer, for holder tokens on a
holder route and PS tokens on a PS route, while the valid token gets 200 in the same test."""

from __future__ import annotations

from tests.security import forged
from tests.support import flows


def test_at_least_12_kinds_on_each_side():
    holder = [k for k, (h, _) in forged.KINDS.items() if h is not None]
    pro = [k for k, (_, p) in forged.KINDS.items() if p is not None]
    assert len(holder) >= 12 and len(pro) >= 12
    assert {(k, side) for k, (h, p) in forged.KINDS.items() for side, f in (("holder", h), ("pro", p))
            if f is None} == set(forged.NOT_APPLICABLE)


def test_every_forged_token_is_refused_and_the_valid_one_accepted(api, aws, clock, psc):
    attempts, controls = forged.run(api, aws, clock, psc, flows)
    # the controls: the same callers' valid tokens work before and after the forgeries
    assert controls == {"holder_before": 200, "holder_after": 200, "pro_before": 200, "pro_after": 200}
    accepted = [f"{a.side} {a.kind}: HTTP {a.status}, edge refused: {a.edge_refused}" for a in attempts if not a.refused]
    assert not accepted, "\n".join(accepted)
    assert {a.kind for a in attempts} == set(forged.KINDS)
    assert len(attempts) == 2 * len(forged.KINDS) - len(forged.NOT_APPLICABLE)
