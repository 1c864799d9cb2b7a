"""How good a deployment is on labelled documents: metrics of answers against gold labels
(`metrics`), gold labels as users keep them (`gold`), and the report (`report`)."""
