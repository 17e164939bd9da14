"""The run's build database, the profile tables built in it, and their publication."""
