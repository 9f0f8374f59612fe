"""Tables of the public-service surveys and their abuse guard."""
