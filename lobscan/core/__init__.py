"""Shared machinery: tenancy, rendering, audit events, time and database types."""
