"""Tables owned by the reviews app (see ../shared/DESIGN.md); other apps use its services and selectors."""
