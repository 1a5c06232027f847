"""The JSON API at /api/v1 for the systems that feed pilots and the models that read them."""
