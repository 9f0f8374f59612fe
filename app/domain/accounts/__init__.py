"""Pure rules about people and their roles (no database, no HTTP)."""
