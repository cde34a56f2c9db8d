"""Host steps: arranging the host as its administrator would (vzctl, template caches,
fault injection for ``@sim_only`` scenarios) and what the administrator sees after:
``vzctl status``, the config files, commands run inside a container."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

import pytest
from pytest_bdd import given, parsers, then, when

from simvz.backends.base import Unavailable
from simvz_steps.world import World


def arrange(check: Callable[[str], None], name: str) -> None:
    """Run a backend's ``ensure_*``; a host lacking the thing skips the scenario (a real
    host is checked, never arranged: like libvirt-tck's allow-lists of host devices)."""
    try:
        check(name)
    except Unavailable as why:
        pytest.skip(f"the host lacks what this scenario needs: {why}")


# -- Given: the host --------------------------------------------------------------------------


@given(parsers.parse('the administrator runs "{command}"'))
@when(parsers.parse('the administrator runs "{command}"'))
def admin_runs(world: World, command: str) -> None:
    """Run a vzctl/vzlist command line on the host; it must succeed. A ``vzctl create
    --ostemplate T`` needs the template: without it on the host the scenario is skipped."""
    argv = world.ids.command(shlex.split(command))
    if "--ostemplate" in argv[:-1] and "create" in argv:
        arrange(world.host.ensure_template, argv[argv.index("--ostemplate") + 1])
    r = world.host.run(argv)
    assert r.ok, f"{command}: exit {r.exit}\n{r.stderr}"
    world.value = r


@given(parsers.parse('a private area for container {ctid:d} unpacked from template "{template}"'))
def private_area(world: World, ctid: int, template: str) -> None:
    """What an administrator does before pointing a mount filesystem at a directory."""
    arrange(world.host.ensure_template, template)
    world.host.prepare_private(f"/vz/private/{world.ids.ct(ctid)}", template)


@given(parsers.parse('the host has the OS template "{template}"'))
def host_template(world: World, template: str) -> None:
    """The template cache is on the host (checked; the scenario is skipped without it)."""
    arrange(world.host.ensure_template, template)


@given(parsers.parse('the host\'s next "{command}" fails with exit {code:d} and "{message}"'))
def next_fails(world: World, command: str, code: int, message: str) -> None:
    """Fault injection, for ``@sim_only`` scenarios: the next command containing these
    words fails as vzctl would print it."""
    words = shlex.split(command)
    inject = getattr(world.host, "inject_fault", None)
    assert inject is not None, "fault injection needs the simulated host (@sim_only)"
    inject(words[0], words[1:], code, message)


# -- Then: the host, as its administrator sees it ---------------------------------------------


def _status(world: World, ctid: int) -> list[str]:
    return world.host.run(["vzctl", "status", str(world.ids.ct(ctid))]).stdout.split()


@then(parsers.parse("container {ctid:d} exists on the host"))
def container_exists(world: World, ctid: int) -> None:
    """``vzctl status`` says ``exist``."""
    assert _status(world, ctid)[2:3] == ["exist"], _status(world, ctid)


@then(parsers.parse("no container {ctid:d} is left on the host"))
def container_absent(world: World, ctid: int) -> None:
    """``vzctl status`` says ``deleted`` and no config file remains."""
    world.observe("vzctl status", " ".join(_status(world, ctid)))
    assert _status(world, ctid)[2:3] == ["deleted"]
    assert world.host.read(f"/etc/vz/conf/{world.ids.ct(ctid)}.conf") is None


@then(parsers.parse("container {ctid:d} is {state}"))
def container_state(world: World, ctid: int, state: str) -> None:
    """``vzctl status``: running, down, mounted, unmounted or suspended."""
    assert state in _status(world, ctid), _status(world, ctid)


@then(parsers.re(r'the config of container (?P<ctid>\d+) has (?P<key>[A-Z][A-Z0-9_]*) "(?P<value>[^"]*)"$'))
def config_has(world: World, ctid: str, key: str, value: str) -> None:
    """The value vzctl would read for KEY in ``/etc/vz/conf/<ctid>.conf`` (first line)."""
    found = _config_values(world, int(ctid), key)
    assert found[:1] == [world.ids.text(value)], f"{key} in {world.ids.ct(int(ctid))}.conf: {found}"


@then(
    parsers.re(
        r'the config of container (?P<ctid>\d+) has (?P<key>[A-Z][A-Z0-9_]*) containing "(?P<text>[^"]*)"$'
    )
)
def config_contains(world: World, ctid: str, key: str, text: str) -> None:
    """KEY's value in ``/etc/vz/conf/<ctid>.conf`` contains the text (a NETIF entry among
    several, one address of IP_ADDRESS)."""
    found = _config_values(world, int(ctid), key)
    assert found and world.ids.text(text) in found[0], f"{key} in {world.ids.ct(int(ctid))}.conf: {found}"


def _config_values(world: World, ctid: int, key: str) -> list[str]:
    text = world.host.read(f"/etc/vz/conf/{world.ids.ct(ctid)}.conf") or ""
    found = re.findall(rf'^{re.escape(key)}="?([^"\n]*)"?', text, re.M)
    world.observe(key, found[0] if found else "(not set)")
    return found


@then(parsers.parse('"{command}" inside container {ctid:d} shows "{text}"'))
def inside_shows(world: World, command: str, ctid: int, text: str) -> None:
    """``vzctl exec`` output contains the text (runs of blanks compared as one)."""
    r = world.host.run(["vzctl", "exec", str(world.ids.ct(ctid)), *shlex.split(command)])
    squeeze = " ".join(r.stdout.split())
    assert " ".join(text.split()) in squeeze, r.stdout


@then(parsers.parse('vzctl says "{text}" for "{target}"'))
def status_line(world: World, text: str, target: str) -> None:
    """``vzctl status TARGET`` prints exactly this line."""
    out = world.host.run(["vzctl", "status", world.ids.name(target)]).stdout.strip()
    assert out == world.ids.text(text), out
