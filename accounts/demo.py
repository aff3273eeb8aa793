"""Demo tenants: a Chinese-speaking seller and an English one, plus back-office staff."""

from django.contrib.auth.models import Group

from .models import Membership, Merchant, User
from .roles import Role

MERCHANTS = {
    "zh": {
        "slug": "shenzhen-starlight",
        "name": "深圳星光跨境贸易",
        "default_language": "zh-hans",
        "tz": "Asia/Shanghai",
    },
    "en": {"slug": "acme-outdoor", "name": "Acme Outdoor Gear", "default_language": "en", "tz": "America/New_York"},
}
PEOPLE = [
    # (key, email, full name, language, merchant key, role)
    ("zh_owner", "chen@demo.linkstar.test", "陈晓明", "zh-hans", "zh", Role.OWNER),
    ("zh_operator", "li@demo.linkstar.test", "李娜", "zh-hans", "zh", Role.OPERATOR),
    ("en_owner", "alice@demo.linkstar.test", "Alice Walker", "en", "en", Role.OWNER),
    ("en_viewer", "victor@demo.linkstar.test", "Victor Viewer", "en", "en", Role.VIEWER),
]


def _user(email, password, **fields):
    user, _ = User.objects.update_or_create(email=email, defaults=fields)
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def load(ctx) -> None:
    for key, spec in MERCHANTS.items():
        merchant, _ = Merchant.objects.update_or_create(
            slug=spec["slug"],
            defaults={
                "name": spec["name"],
                "default_language": spec["default_language"],
                "default_time_zone": spec["tz"],
            },
        )
        ctx.merchants[key] = merchant
    for key, email, name, language, merchant_key, role in PEOPLE:
        user = _user(email, ctx.password, full_name=name, language=language)
        Membership.objects.update_or_create(user=user, merchant=ctx.merchants[merchant_key], defaults={"role": role})
        ctx.users[key] = user
        ctx.logins.append((f"{ctx.merchants[merchant_key].name} ({role})", email, ctx.password))

    reviewer = _user("reviewer@demo.linkstar.test", ctx.password, full_name="Rita Reviewer", is_staff=True)
    reviewer.groups.add(Group.objects.get(name="Compliance"))
    ctx.users["reviewer"] = reviewer
    ctx.logins.append(("Compliance reviewer (admin)", reviewer.email, ctx.password))

    admin = _user(
        "admin@demo.linkstar.test", ctx.password, full_name="Linkstar Admin", is_staff=True, is_superuser=True
    )
    ctx.users["admin"] = admin
    ctx.logins.append(("Superuser (admin)", admin.email, ctx.password))
    ctx.write(f"accounts: {len(ctx.merchants)} merchants, {len(ctx.users)} users")
