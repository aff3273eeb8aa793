"""Tables owned by the templates_review app (see ../shared/DESIGN.md); other apps use its services and selectors."""
