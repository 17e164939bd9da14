"""Who may see what: user accounts with an argon2id password hash and a lockout, and the roles
(issue 16, item 2). A low layer (configuration, stores and the audit log below it): the command
line manages accounts, the server logs people in through `access.users.verify_login`."""
