"""Webhook pages of a unit (app.services.webhooks)."""
