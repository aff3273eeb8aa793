from tests.templates_review.conftest import reviewer  # noqa: F401  (a compliance reviewer for approvals)
