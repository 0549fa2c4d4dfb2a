"""Access rules (API.md "Authority"), one module per area."""
