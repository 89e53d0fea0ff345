"""The web app's helpers (``app.py`` holds the Gradio layout): HTML rendering, query highlighting,
feedback and exports for staff."""
