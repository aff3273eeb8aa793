"""Tables owned by the billing app (see ../shared/DESIGN.md); other apps use its services and selectors."""
