"""The audit log: who did what, when and why, to which person and publication, kept as a hash
chain that shows any change made to it afterwards (issue 16, item 4).

A low layer (it knows the configuration and the stores only), so that every layer above it —
the publication, the arrest flow, the command line, the server — records through the same
door: `audit.log.record`. Entries hold ids and counts, never a name, a reason or a search text.
"""
