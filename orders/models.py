"""Tables owned by the orders app (see ../shared/DESIGN.md); other apps use its services and selectors."""
