"""The secretary's console: a web view of the plan, the quarantine, decisions and packs.

``accounts`` and ``audit`` hold the data and rules (no web framework); ``app`` builds
the FastAPI application: server-rendered pages with GOV.UK Frontend styles and htmx.
"""
