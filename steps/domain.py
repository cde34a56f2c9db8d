"""Domain steps: assembling domain XML from the thread's corpus items, the driver's
When actions (define, lifecycle, autostart, update-device), and what libvirt reports."""

from __future__ import annotations

from lxml import etree
from pytest_bdd import given, parsers, then, when

from steps.world import DomainDraft, World, corpus_text, seeded_uuid

# -- Given: the domain ------------------------------------------------------------------------


@given(parsers.parse('a domain named "{name}"'))
def a_domain(world: World, name: str) -> None:
    """An empty OpenVZ domain with a fixed uuid (seeded by the scenario's name)."""
    world.draft = DomainDraft(world.ids.name(name), seeded_uuid(name))


@given(parsers.re(r'its devices include corpus item "(?P<item>[^"]+)"$'))
def with_device(world: World, item: str) -> None:
    """Add a thread fragment (filesystem, interface, host device) to the domain."""
    assert world.draft is not None, "no domain being assembled"
    world.draft.devices.append(world.ids.xml(corpus_text(item)))


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
    world.draft.devices.append(world.ids.xml(text.replace(old, new)))


@given(parsers.re(r'its devices include "(?P<xml><.+>)"$'))
def with_device_xml(world: World, xml: str) -> None:
    """Add a device written in the scenario."""
    assert world.draft is not None, "no domain being assembled"
    world.draft.devices.append(world.ids.xml(xml))


@given(parsers.parse('the domain of corpus item "{item}"'))
def whole_domain(world: World, item: str) -> None:
    """A complete <domain> from the thread, taken as written."""
    text = world.ids.xml(corpus_text(item))
    name = etree.fromstring(text.encode()).findtext("name") or "?"
    world.draft = DomainDraft(name, "", whole=text)


@given(parsers.parse('the domain XML "{xml}"'))
def literal_domain(world: World, xml: str) -> None:
    """A domain written in the scenario (hostile or malformed input)."""
    world.draft = DomainDraft("?", "", whole=world.ids.xml(xml))


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
    world.attempt(world.driver.dom, world.ids.name(name), _DOM_ACTIONS[action])


@when(parsers.parse('autostart of domain "{name}" is turned {state}'))
def autostart(world: World, name: str, state: str) -> None:
    """``virDomainSetAutostart``."""
    world.attempt(world.driver.dom, world.ids.name(name), "setAutostart", 1 if state == "on" else 0)


@when(parsers.parse('domain "{name}" gets the device "{xml}" while running'))
def update_device(world: World, name: str, xml: str) -> None:
    """``virDomainUpdateDeviceFlags`` on the live domain (VIR_DOMAIN_AFFECT_LIVE)."""
    world.attempt(world.driver.dom, world.ids.name(name), "updateDeviceFlags", world.ids.xml(xml), 1)


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


# -- Then: the domain as libvirt reports it ----------------------------------------------------


def _dumpxml(world: World, name: str) -> etree._Element:
    return etree.fromstring(world.driver.dom(world.ids.name(name), "XMLDesc", 0).encode())


@then(parsers.parse('the XML of domain "{name}" has {xpath}'))
def xml_has(world: World, name: str, xpath: str) -> None:
    """``virDomainGetXMLDesc`` matches an XPath expression."""
    doc = _dumpxml(world, name)
    xpath = world.ids.text(xpath)
    assert doc.xpath(xpath), f"{xpath} not in\n{etree.tostring(doc).decode()}"


@then(parsers.parse('libvirt lists domain "{name}" as {state}'))
def listed_state(world: World, name: str, state: str) -> None:
    """``virDomainGetState``: running, paused or shut off."""
    codes = {"running": 1, "paused": 3, "shut off": 5}
    assert world.driver.dom(world.ids.name(name), "state", 0)[0] == codes[state]


@then(parsers.parse('libvirt does not know domain "{name}"'))
def unknown_domain(world: World, name: str) -> None:
    """The driver's list has no such domain."""
    names = [d.name for d in world.driver.call("listAllDomains", 0)]
    assert world.ids.name(name) not in names, names
