"""Template context shared by every page: who is logged in, which agency, which menus."""

from vanban.exchange.selectors import arrivals_for
from vanban.orgs.models import Role
from vanban.workflow.selectors.assignment import open_work_count
from vanban.workflow.selectors.drafting import waiting_count as drafts_waiting
from vanban.workflow.selectors.meetings import invitations_pending
from vanban.workflow.selectors.notices import unread_count


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    is_clerk = user.has_role(Role.CLERK)
    return {
        "nav": {
            "is_clerk": is_clerk,
            "is_leader": user.has_role(Role.LEADER),
            "arrivals_waiting": arrivals_for(user).count() if is_clerk else 0,
            "open_work": open_work_count(user) if user.agency_id else 0,
            "drafts_waiting": drafts_waiting(user) if user.agency_id else 0,
            "meeting_invitations": invitations_pending(user) if user.agency_id else 0,
            "unread_notices": unread_count(user),
            "can_admin": user.is_superuser or user.has_role(Role.ADMIN),
            "agency": user.agency,
        }
    }
