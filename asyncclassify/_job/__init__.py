"""A job's life: one job on one resource (submit, polls, pages, cancel), the batch runner
that turns jobs into results, and what it reads from a finished job."""
