from tests.tenancy import Route

ROUTES = [
    Route("billing:overview", "list"),
    Route("billing:caps", "list"),
    Route("billing:ledger", "list"),
    Route("billing:statements", "list"),
    Route("billing:quote", "list"),
    Route("billing:statement", "object", kwargs=lambda w: {"pk": w.bob.objects["statement"].pk}),
    Route("billing:statement_csv", "object", kwargs=lambda w: {"pk": w.bob.objects["statement"].pk}),
    Route("billing-api:balance", "list"),
    Route("billing-api:usage", "list"),
]
