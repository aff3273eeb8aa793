import factory

from accounts import services
from accounts.models import ApiKey, Membership, Merchant, User
from accounts.roles import Role

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    name = factory.Sequence(lambda n: f"Merchant {n}")
    slug = factory.Sequence(lambda n: f"merchant-{n}")
    default_language = "en"
    default_time_zone = "UTC"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    merchant = factory.SubFactory(MerchantFactory)
    role = Role.OWNER


def make_api_key(merchant: Merchant, scope: str = ApiKey.Scope.WRITE, name: str = "test key"):
    """Returns (ApiKey, plaintext)."""
    new = services.create_api_key(merchant=merchant, name=name, scope=scope, created_by=None)
    return new.api_key, new.plaintext
