"""Harness: running real programs (libvirt, virsh) against a simulated node."""
