"""The node tools' fast path: a native client (``client.c``) in ``DIR/usr/sbin`` hands each
call to a resident Python server (``server.py``) that already has the code imported;
without a server the client runs the Python entry (docs/fastpath.md)."""
