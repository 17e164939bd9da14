"""The `foto` command line on top of everything: run, train, arrest, rollback, and what it
prints (counts and ids, never personal data)."""
