"""The person profile built in DuckDB: person, events (the timeline), relations (the network),
flags (signals with their rule and evidence) and their priority. Named `profiles`, not
`profile`, which would shadow the standard library's profiler."""
