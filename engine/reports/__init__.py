"""Periodic statistics (定期通报), flags of periodic obligations and ledgers (台账)."""
