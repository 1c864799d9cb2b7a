"""Resources: what the user names, what the client keeps for each, which one a job goes to,
and how a budget is shared."""
