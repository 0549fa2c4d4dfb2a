"""Access rules: who may see, work and supervise what."""
