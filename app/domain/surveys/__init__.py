"""Public-service surveys: instruments (IKM, SPKP, SPAK) and their exact indices."""
