"""Repositories: the queries, and nothing else.

Each function takes the session to run on and keyword-only values, and returns rows or None;
it decides no rule and commits nothing (the unit of work does, app.uow). Services call them.
"""
