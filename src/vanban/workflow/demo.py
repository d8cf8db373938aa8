"""Demo data of the workflow for `vanban up`: an approval chain in each demo agency that has a
leader, so drafts can be submitted for signing on a fresh demo install."""

from __future__ import annotations

from django.utils.translation import gettext as _

from vanban.orgs.models import Person, Role

from .models import ApprovalChain
from .models.drafting import StepKind
from .services import drafting


def load_chains() -> int:
    """One chain per agency with an active leader and none yet: unit head → leader where the
    agency has unit heads, else the leader alone. Returns how many were created."""
    created = 0
    leaders = Person.objects.filter(is_active=True, role_grants__role=Role.LEADER).order_by("agency_id", "pk")
    has_heads = set(
        Person.objects.filter(is_active=True, role_grants__role=Role.UNIT_HEAD).values_list("agency_id", flat=True)
    )
    seen: set[int] = set()
    for leader in leaders:
        if leader.agency_id in seen or ApprovalChain.objects.filter(agency_id=leader.agency_id).exists():
            continue
        seen.add(leader.agency_id)
        steps = [(StepKind.LEADER, None, _("Agency leader"))]
        name = _("Leader signs")
        if leader.agency_id in has_heads:
            steps.insert(0, (StepKind.UNIT_HEAD, None, _("Head of the drafting unit")))
            name = _("Unit head, then the leader signs")
        drafting.create_chain(leader, name=name, steps=steps)
        created += 1
    return created
