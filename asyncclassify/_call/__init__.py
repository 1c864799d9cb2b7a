"""A call: documents read, checked and batched, jobs run in flight, results streamed out
(and the coalescer that gathers many small calls into full batches)."""
