"""Surfaces: argv of vzctl, vzlist and vzmigrate to model calls and exact output."""
