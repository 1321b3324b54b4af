"""Maintenance commands run from the Makefile, outside the service."""
