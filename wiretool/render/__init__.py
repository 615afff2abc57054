"""Renderers: turn a model into text. They read the model and never parse bytes."""
