import pytest
from django.contrib.auth.models import Group

from tests.factories.accounts import UserFactory


@pytest.fixture
def reviewer(db):
    user = UserFactory(is_staff=True, email="rita@linkstar.test")
    user.groups.add(Group.objects.get(name="Compliance"))
    return user


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client
