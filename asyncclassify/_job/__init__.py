"""A job's life: one job on one resource (submit, polls, pages, cancel), the batch runner
that turns jobs into results, what it reads from a finished job, and what a call's jobs
share (`context`). It knows nothing of the call's stages (`_call` builds on it)."""
