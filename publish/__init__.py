"""Publication: need-to-know audiences, display in Dutch, the triage sheets, the atomic swap
and its lock, and the on-arrest flow that lays one arrested person over the publication."""
