"""Tables owned by the channels app (see ../shared/DESIGN.md); other apps use its services and selectors."""
