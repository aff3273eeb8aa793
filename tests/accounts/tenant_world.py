from accounts.roles import Role
from tests.factories.accounts import MembershipFactory


def populate(side) -> None:
    side.objects["membership"] = MembershipFactory(
        merchant=side.merchant,
        role=Role.VIEWER,
        user__email=f"viewer-{side.tag}@example.test",
        user__full_name=f"Viewer {side.canary}",
    )
