"""Template context shared by every page: who is logged in, which agency, which menus."""

from vanban.orgs.models import Role


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav": {
            "is_clerk": user.has_role(Role.CLERK),
            "can_admin": user.is_superuser or user.has_role(Role.ADMIN),
            "agency": user.agency,
        }
    }
