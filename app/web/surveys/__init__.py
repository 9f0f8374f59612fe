"""Survey pages: the unit team's pages, the public form, QR codes."""
