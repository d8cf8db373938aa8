"""The demo's approval chains: a fresh demo install can submit drafts for signing."""

from __future__ import annotations

import pytest

from vanban.workflow.demo import load_chains
from vanban.workflow.models import ApprovalChain
from vanban.workflow.models.drafting import StepKind

pytestmark = pytest.mark.django_db


def test_one_chain_per_agency_with_a_leader_once(province):
    p = province
    assert load_chains() == 1  # only agency A has a leader in the test province
    chain = ApprovalChain.objects.get()
    assert chain.agency == p.a and chain.active
    # A has a unit head: the head of the drafting unit first, then a leader.
    assert [s.kind for s in chain.steps.order_by("order")] == [StepKind.UNIT_HEAD, StepKind.LEADER]
    assert load_chains() == 0
    assert ApprovalChain.objects.count() == 1
