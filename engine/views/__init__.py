"""Read models for the pages and the API (inbox, task page, boards, case record), above the
domain services."""
