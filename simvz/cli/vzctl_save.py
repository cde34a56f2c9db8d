"""Writing a CT config the way vzctl does (``KV:src/lib/config.c:vps_save_config``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from simvz import errors as E
from simvz.errors import VzError
from simvz.model import container as C
from simvz.model import params as P
from simvz.syntax import vzconf

if TYPE_CHECKING:
    from simvz.cli.call import Call


def ordered(stored: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Generated lines in vzctl's key-table order (``KV:src/lib/config.c:store`` walks ``config[]``)."""
    return sorted(stored, key=lambda kv: P.ORDER.get(kv[0], len(P.ORDER)))


def save(call: Call, stored: Sequence[tuple[str, str]], announce: bool = True) -> None:
    """Merge ``stored`` into ``<id>.conf`` atomically; say what vzctl says."""
    path = C.conf_path(call.veid)
    if not stored:
        call.con.info("No changes in CT configuration, not saving")
        return
    text = call.host.fs.read(path) or ""
    # vzctl applies a running CT's new parameters before it saves them
    # (KV:src/vzctl-actions.c:set calls vps_setup_res, then vps_save_config): killed in
    # between, the kernel has them and the config not yet, never the other way round.
    call.host.save_kernel()
    try:
        call.host.fs.write(path, vzconf.merge(text, ordered(stored)))
    except OSError as exc:
        raise VzError(
            E.CONFIG_SAVE_ERROR, f"Unable to create configuration file {path}: {exc.strerror}"
        ) from exc
    if announce:
        call.con.info(f"CT configuration saved to {path}")


def rendered(key: str, value: object) -> tuple[str, str]:
    """(KEY, text) for a typed value."""
    return key, P.render_value(P.KEYS[key], value)
