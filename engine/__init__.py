"""cluedesk: the domain and the engine adapter. Nothing here imports Flask."""
