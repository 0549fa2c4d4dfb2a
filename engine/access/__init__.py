"""Who may do what: authority over tasks, recusal, case visibility and supervision (one place,
below the domain services)."""
