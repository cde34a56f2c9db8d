"""libvirt-python's API over a :class:`~simvz.harness.libvirt_runner.Session`: a test
writes ``conn.lookupByName("101").create()`` or ``conn.defineXML(xml).name()`` as it
would with ``import libvirt``, with the same method names and return values, while the
driver still runs in the crash-contained child process.

Every ``virConnect`` method is forwarded by name; a domain that comes back is a
:class:`VirDomain` whose methods are forwarded to ``virDomain``. Errors are
:class:`~simvz.harness.libvirt_runner.LibvirtError`, which answers libvirt-python's
``get_error_code()``, ``get_error_domain()`` and ``get_error_message()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simvz.harness.libvirt_runner import Domain, Session


class VirConnect:
    """``libvirt.virConnect`` on a Session (the ``openvz`` fixture)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __getattr__(self, method: str) -> Callable[..., Any]:
        if method.startswith("_"):
            raise AttributeError(method)

        def forward(*args: Any) -> Any:
            return _wrap(self.session, self.session.call(method, *args))

        forward.__name__ = method
        return forward

    def lookupByName(self, name: str) -> VirDomain:
        """``virDomainLookupByName``."""
        found = self.session.call("lookupByName", name)
        return VirDomain(self.session, found.name)

    def call(self, method: str, *args: Any) -> Any:
        """``virConnect.<method>`` by name (Session's form)."""
        return self.session.call(method, *args)

    @property
    def calls(self) -> list[Any]:
        """Every call so far with the node commands it caused (Session's record)."""
        return self.session.calls

    def journal_of_last(self) -> list[dict[str, Any]]:
        """The node commands the last call caused (the node's journal)."""
        return self.session.journal_of_last()

    def close(self) -> int:
        """``virConnectClose``: ends the driver's process; 0 as libvirt-python returns."""
        self.session.close()
        return 0


class VirDomain:
    """``libvirt.virDomain``: methods forwarded to the driver by the domain's name."""

    def __init__(self, session: Session, name: str) -> None:
        self.session, self._name = session, name

    def name(self) -> str:
        """``virDomainGetName``."""
        return self._name

    def __getattr__(self, method: str) -> Callable[..., Any]:
        if method.startswith("_"):
            raise AttributeError(method)

        def forward(*args: Any) -> Any:
            return _wrap(self.session, self.session.dom(self._name, method, *args))

        forward.__name__ = method
        return forward

    def __repr__(self) -> str:
        return f"<VirDomain {self._name!r}>"


def _wrap(session: Session, value: Any) -> Any:
    if isinstance(value, Domain):
        return VirDomain(session, value.name)
    if isinstance(value, list):
        return [_wrap(session, v) for v in value]
    return value
