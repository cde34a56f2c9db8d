"""Host and domain steps shared by every topic: arranging the host, assembling a domain
from corpus items, the driver's When actions, and what an administrator sees after."""

from __future__ import annotations

import re
import shlex

from lxml import etree
from pytest_bdd import given, parsers, then, when

from steps.world import DomainDraft, World, corpus_text, seeded_uuid

# -- Given: the host --------------------------------------------------------------------------


@given(parsers.parse('the administrator runs "{command}"'))
@when(parsers.parse('the administrator runs "{command}"'))
def admin_runs(world: World, command: str) -> None:
    """Run a vzctl/vzlist command line on the host; it must succeed."""
    r = world.host.run(shlex.split(command))
    assert r.ok, f"{command}: exit {r.exit}\n{r.stderr}"
    world.value = r


@given(parsers.parse('a private area for container {ctid:d} unpacked from template "{template}"'))
def private_area(world: World, ctid: int, template: str) -> None:
    """What an administrator does before pointing a mount filesystem at a directory."""
    world.host.prepare_private(f"/vz/private/{ctid}", template)


@given(parsers.parse('the host\'s next "{command}" fails with exit {code:d} and "{message}"'))
def next_fails(world: World, command: str, code: int, message: str) -> None:
    """Fault injection, for ``@sim_only`` scenarios: the next command containing these
    words fails as vzctl would print it."""
    words = shlex.split(command)
    inject = getattr(world.host, "inject_fault", None)
    assert inject is not None, "fault injection needs the simulated host (@sim_only)"
    inject(words[0], words[1:], code, message)


# -- Given: the domain ------------------------------------------------------------------------


@given(parsers.parse('a domain named "{name}"'))
def a_domain(world: World, name: str) -> None:
    """An empty OpenVZ domain with a fixed uuid."""
    world.draft = DomainDraft(name, seeded_uuid(name))


@given(parsers.re(r'its devices include corpus item "(?P<item>[^"]+)"$'))
def with_device(world: World, item: str) -> None:
    """Add a thread fragment (filesystem, interface, host device) to the domain."""
    assert world.draft is not None, "no domain being assembled"
    world.draft.devices.append(corpus_text(item))


@given(
    parsers.re(
        r'its devices include corpus item "(?P<item>[^"]+)" with "(?P<old>[^"]*)" as "(?P<new>[^"]*)"$'
    )
)
def with_device_edited(world: World, item: str, old: str, new: str) -> None:
    """Add a thread fragment with one value replaced (e.g. the thread's /some/path)."""
    assert world.draft is not None, "no domain being assembled"
    text = corpus_text(item)
    assert old in text, f"{old!r} not in corpus item {item}"
    world.draft.devices.append(text.replace(old, new))


@given(parsers.re(r'its devices include "(?P<xml><.+>)"$'))
def with_device_xml(world: World, xml: str) -> None:
    """Add a device written in the scenario."""
    assert world.draft is not None, "no domain being assembled"
    world.draft.devices.append(xml)


@given(parsers.parse('the domain of corpus item "{item}"'))
def whole_domain(world: World, item: str) -> None:
    """A complete <domain> from the thread, taken as written."""
    text = corpus_text(item)
    name = etree.fromstring(text.encode()).findtext("name") or "?"
    world.draft = DomainDraft(name, "", whole=text)


@given(parsers.parse('the domain XML "{xml}"'))
def literal_domain(world: World, xml: str) -> None:
    """A domain written in the scenario (hostile or malformed input)."""
    world.draft = DomainDraft("?", "", whole=xml)


# -- When: the driver ------------------------------------------------------------------------


@given("the domain is defined")
@when("the domain is defined")
def define(world: World) -> None:
    """``virDomainDefineXML``."""
    assert world.draft is not None, "no domain being assembled"
    world.attempt(world.driver.call, "defineXML", world.draft.xml())


_DOM_ACTIONS = {
    "started": "create", "shut down": "shutdown", "destroyed": "destroy", "rebooted": "reboot",
    "suspended": "suspend", "resumed": "resume", "undefined": "undefine",
}  # fmt: skip


@given(parsers.parse('domain "{name}" is {action}'))
@when(parsers.parse('domain "{name}" is {action}'))
def domain_action(world: World, name: str, action: str) -> None:
    """A lifecycle call on the domain (``virDomainCreate``, ``Shutdown``, ...)."""
    world.attempt(world.driver.dom, name, _DOM_ACTIONS[action])


@when(parsers.parse('autostart of domain "{name}" is turned {state}'))
def autostart(world: World, name: str, state: str) -> None:
    """``virDomainSetAutostart``."""
    world.attempt(world.driver.dom, name, "setAutostart", 1 if state == "on" else 0)


@when(parsers.parse('domain "{name}" gets the device "{xml}" while running'))
def update_device(world: World, name: str, xml: str) -> None:
    """``virDomainUpdateDeviceFlags`` on the live domain (VIR_DOMAIN_AFFECT_LIVE)."""
    world.attempt(world.driver.dom, name, "updateDeviceFlags", xml, 1)


# -- Then: outcome of the call ----------------------------------------------------------------


@then("the call succeeds")
def call_succeeds(world: World) -> None:
    """The last driver call returned without a libvirt error."""
    assert world.error is None, f"libvirt error: {world.error}"


@then("the call fails with a libvirt error")
def call_fails(world: World) -> None:
    """The last driver call was refused with a clear libvirt error."""
    assert world.error is not None, "the call succeeded"
    assert str(world.error).strip(), "an empty error message"


# -- Then: the host, as its administrator sees it ---------------------------------------------


def _status(world: World, ctid: int) -> list[str]:
    return world.host.run(["vzctl", "status", str(ctid)]).stdout.split()


@then(parsers.parse("container {ctid:d} exists on the host"))
def container_exists(world: World, ctid: int) -> None:
    """``vzctl status`` says ``exist``."""
    assert _status(world, ctid)[2:3] == ["exist"], _status(world, ctid)


@then(parsers.parse("no container {ctid:d} is left on the host"))
def container_absent(world: World, ctid: int) -> None:
    """``vzctl status`` says ``deleted`` and no config file remains."""
    assert _status(world, ctid)[2:3] == ["deleted"]
    assert world.host.read(f"/etc/vz/conf/{ctid}.conf") is None


@then(parsers.parse("container {ctid:d} is {state}"))
def container_state(world: World, ctid: int, state: str) -> None:
    """``vzctl status``: running, down, mounted, unmounted or suspended."""
    assert state in _status(world, ctid), _status(world, ctid)


@then(parsers.parse('the config of container {ctid:d} has {key} "{value}"'))
def config_has(world: World, ctid: int, key: str, value: str) -> None:
    """The value vzctl would read for KEY in ``/etc/vz/conf/<ctid>.conf`` (first line)."""
    text = world.host.read(f"/etc/vz/conf/{ctid}.conf") or ""
    found = re.findall(rf'^{re.escape(key)}="?([^"\n]*)"?', text, re.M)
    assert found[:1] == [value], f"{key} in {ctid}.conf: {found}"


@then(parsers.parse('"{command}" inside container {ctid:d} shows "{text}"'))
def inside_shows(world: World, command: str, ctid: int, text: str) -> None:
    """``vzctl exec`` output contains the text (runs of blanks compared as one)."""
    r = world.host.run(["vzctl", "exec", str(ctid), *shlex.split(command)])
    squeeze = " ".join(r.stdout.split())
    assert " ".join(text.split()) in squeeze, r.stdout


@then(parsers.parse('vzctl says "{text}" for "{target}"'))
def status_line(world: World, text: str, target: str) -> None:
    """``vzctl status TARGET`` prints exactly this line."""
    assert world.host.run(["vzctl", "status", target]).stdout.strip() == text


# -- Then: the domain as libvirt reports it ----------------------------------------------------


def _dumpxml(world: World, name: str) -> etree._Element:
    return etree.fromstring(world.driver.dom(name, "XMLDesc", 0).encode())


@then(parsers.parse('the XML of domain "{name}" has {xpath}'))
def xml_has(world: World, name: str, xpath: str) -> None:
    """``virDomainGetXMLDesc`` matches an XPath expression."""
    doc = _dumpxml(world, name)
    assert doc.xpath(xpath), f"{xpath} not in\n{etree.tostring(doc).decode()}"


@then(parsers.parse('libvirt lists domain "{name}" as {state}'))
def listed_state(world: World, name: str, state: str) -> None:
    """``virDomainGetState``: running, paused or shut off."""
    codes = {"running": 1, "paused": 3, "shut off": 5}
    assert world.driver.dom(name, "state", 0)[0] == codes[state]


@then(parsers.parse('libvirt does not know domain "{name}"'))
def unknown_domain(world: World, name: str) -> None:
    """The driver's list has no such domain."""
    names = [d.name for d in world.driver.call("listAllDomains", 0)]
    assert name not in names, names
