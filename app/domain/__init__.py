"""The domain: values, rules and their constants, with no I/O and no transport words.

Every layer may import it; it imports nothing of ours but `app.errors`. A rule of the contract
(what an email is, when a code is active, how large a page may be) is written here once and used
by both transports through the services.
"""
