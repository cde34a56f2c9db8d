"""Domain steps: assembling domain XML from the thread's corpus items, the driver's
When actions (define, lifecycle, autostart, update-device), and what libvirt reports."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from lxml import etree
from pytest_bdd import given, parsers, then, when

from simvz_steps.host import arrange
from simvz_steps.world import DomainDraft, World, corpus_text, seeded_uuid

# -- Given: the domain ------------------------------------------------------------------------


@given(parsers.parse('a domain named "{name}"'))
def a_domain(world: World, name: str) -> None:
    """An empty OpenVZ domain with a fixed uuid (seeded by the scenario's name)."""
    world.draft = DomainDraft(world.ids.name(name), seeded_uuid(name))


# The thread's root filesystems (corpus items 33 and 62, 32): a container's root is made
# from an OS template, or is a directory the administrator prepared.
_TEMPLATE_ROOT = "<filesystem type='template'><source name='{template}'/><target dir='/'/></filesystem>"
_MOUNT_ROOT = "<filesystem type='mount'><source dir='/vz/private/{ctid}'/><target dir='/'/></filesystem>"


@given(parsers.parse('the thread\'s domain {ctid:d} created from template "{template}"'))
def template_domain(world: World, ctid: int, template: str) -> None:
    """Domain N whose root filesystem is created from the OS template (``<filesystem
    type='template'>`` with ``<target dir='/'/>``, items 33 and 62); the template must be
    on the host (else the scenario is skipped)."""
    arrange(world.host.ensure_template, template)
    world.draft = DomainDraft(world.ids.name(str(ctid)), seeded_uuid(str(ctid)))
    world.draft.devices.append(_TEMPLATE_ROOT.format(template=template))


@given(
    parsers.parse(
        'the thread\'s domain {ctid:d} with its root in a private area unpacked from template "{template}"'
    )
)
def mount_domain(world: World, ctid: int, template: str) -> None:
    """Domain N whose root is the directory ``/vz/private/N`` (``<filesystem
    type='mount'>``, item 32), which the administrator unpacked from the template first."""
    arrange(world.host.ensure_template, template)
    world.host.prepare_private(f"/vz/private/{world.ids.ct(ctid)}", template)
    world.draft = DomainDraft(world.ids.name(str(ctid)), seeded_uuid(str(ctid)))
    world.draft.devices.append(world.ids.xml(_MOUNT_ROOT.format(ctid=ctid)))


@given(parsers.parse("it has {count:d} vcpus"))
@given(parsers.parse("it has {count:d} vcpu"))
def draft_vcpus(world: World, count: int) -> None:
    """The domain's ``<vcpu>`` (1 unless a scenario says otherwise)."""
    assert world.draft is not None, "no domain being assembled"
    world.draft.vcpus = count


@given(parsers.parse("it has {mib:d} MiB of memory"))
def draft_memory(world: World, mib: int) -> None:
    """The domain's ``<memory>`` (256 MiB unless a scenario says otherwise)."""
    assert world.draft is not None, "no domain being assembled"
    world.draft.memory_kib = mib * 1024


@given("its devices include:")
def with_device_docstring(world: World, docstring: str) -> None:
    """Add the device XML written below the step (a ``\"\"\"`` block)."""
    assert world.draft is not None, "no domain being assembled"
    world.draft.devices.append(world.ids.xml(docstring))


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


@given("the thread's summary domain as Evgeniy wrote it in M10")
def summary_domain(world: World) -> None:
    """Corpus item 55: the summary domain as written, ``//for ...`` annotations and all."""
    whole_domain(world, "55")


@given("the thread's summary domain as corrected in M11")
def corrected_summary_domain(world: World) -> None:
    """Corpus item 70: the summary with the corrections of the last message."""
    whole_domain(world, "70")


@given(parsers.parse('the domain of corpus item "{item}" with the <memory> and <os> libvirt now requires'))
def whole_domain_completed(world: World, item: str) -> None:
    """A complete <domain> from the thread with what today's libvirt refuses a domain
    without (``conf/domain_conf.c``: "an os <type> must be specified", "Memory size must
    be specified"); the 2008 sketches left both out, being about devices. The os type is
    ``exe``, the one the OpenVZ driver's capabilities offer (``openvz_conf.c:openvzCapsInit``);
    the memory is the step library's usual 256 MiB."""
    doc = etree.fromstring(world.ids.xml(corpus_text(item)).encode())
    memory = etree.Element("memory", unit="KiB")
    memory.text = "262144"
    os_element = etree.Element("os")
    etree.SubElement(os_element, "type").text = "exe"
    doc.insert(2, memory)
    doc.insert(3, os_element)
    world.draft = DomainDraft(doc.findtext("name") or "?", "", whole=etree.tostring(doc).decode())


@given(parsers.parse('the domain XML "{xml}"'))
def literal_domain(world: World, xml: str) -> None:
    """A domain written in the scenario (hostile or malformed input)."""
    world.draft = DomainDraft("?", "", whole=world.ids.xml(xml))


@given("the domain XML:")
def docstring_domain(world: World, docstring: str) -> None:
    """A whole domain written below the step (a ``\"\"\"`` block), taken as is."""
    world.draft = DomainDraft("?", "", whole=world.ids.xml(docstring))


@given(parsers.parse('the domain XML in "{path}"'))
def file_domain(world: World, path: str, request: pytest.FixtureRequest) -> None:
    """A whole domain read from a file, relative to the feature file (or absolute)."""
    from simvz_steps.run import template_of

    template = template_of(request.node)
    base = Path(template.feature.filename).parent if template is not None else Path.cwd()
    world.draft = DomainDraft("?", "", whole=world.ids.xml((base / path).read_text()))


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


@when(parsers.parse('domain "{name}" gets {count:d} vcpus while running'))
@when(parsers.parse('domain "{name}" gets {count:d} vcpu while running'))
def set_vcpus(world: World, name: str, count: int) -> None:
    """``virDomainSetVcpusFlags`` on the live domain (the only way the driver takes)."""
    world.attempt(world.driver.dom, world.ids.name(name), "setVcpusFlags", count, 1)


_MEMTUNE = {"hard limit": "hard_limit", "soft limit": "soft_limit", "minimum guarantee": "min_guarantee"}


@when(parsers.parse('the memory {which} of domain "{name}" is set to {mib:d} MiB'))
def set_memtune(world: World, which: str, name: str, mib: int) -> None:
    """``virDomainSetMemoryParameters`` (``virsh memtune``): hard limit, soft limit or
    minimum guarantee, in KiB as libvirt takes them."""
    params = {_MEMTUNE[which]: mib * 1024}
    world.attempt(world.driver.dom, world.ids.name(name), "setMemoryParameters", params, 0)


@when(parsers.parse('domain "{name}" gets this device while running:'))
def update_device_docstring(world: World, name: str, docstring: str) -> None:
    """``virDomainUpdateDeviceFlags`` on the live domain, the device written below."""
    update_device(world, name, docstring)


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


@then(parsers.parse('the call fails with a libvirt error saying "{text}"'))
def call_fails_saying(world: World, text: str) -> None:
    """The last driver call was refused, its libvirt error containing the text."""
    assert world.error is not None, "the call succeeded"
    assert text in str(world.error), f"libvirt error: {world.error}"


@then(parsers.re(r"the call fails with libvirt error (?P<code>VIR_ERR_\w+|\d+)$"))
def call_fails_code(world: World, code: str) -> None:
    """The last driver call was refused with this ``virErrorNumber`` (name or number,
    as ``include/libvirt/virterror.h`` lists them)."""
    assert world.error is not None, "the call succeeded"
    got = getattr(world.error, "code", None)
    assert got == error_code(code), f"libvirt error {got} ({world.error}), not {code}"


def error_code(code: str) -> int:
    """A ``virErrorNumber`` by name (``VIR_ERR_INTERNAL_ERROR``) or number."""
    if code.isdigit():
        return int(code)
    import libvirt

    number = getattr(libvirt, code, None)
    if not isinstance(number, int):
        raise LookupError(f"libvirt has no error {code}")
    return number


@then(parsers.parse('the driver ran "{command}"'))
def driver_ran(world: World, command: str) -> None:
    """The last driver call ran exactly this command on the host (the node's journal;
    a real host keeps none, so there the scenario is skipped)."""
    if world.commands is None:
        pytest.skip("the host keeps no journal of the commands the driver runs")
    want = world.ids.command(shlex.split(command))
    ran = [[argv[0].rsplit("/", 1)[-1], *argv[1:]] for argv in world.commands]
    assert want in ran, "the driver ran:\n" + "\n".join(shlex.join(a) for a in ran)


# -- Then: the domain as libvirt reports it ----------------------------------------------------


def _dumpxml(world: World, name: str) -> etree._Element:
    doc = etree.fromstring(world.driver.dom(world.ids.name(name), "XMLDesc", 0).encode())
    filesystems = [etree.tostring(fs).decode() for fs in doc.iterfind("devices/filesystem")]
    world.observe("filesystems in the domain XML", " ".join(filesystems) or "none")
    return doc


@then(parsers.parse('the XML of domain "{name}" has {xpath}'))
def xml_has(world: World, name: str, xpath: str) -> None:
    """``virDomainGetXMLDesc`` matches an XPath expression."""
    doc = _dumpxml(world, name)
    xpath = world.ids.text(xpath)
    assert doc.xpath(xpath), f"{xpath} not in\n{etree.tostring(doc).decode()}"


@then(parsers.parse('libvirt shows the root of domain "{name}" created from template "{template}"'))
def root_from_template(world: World, name: str, template: str) -> None:
    """``virsh dumpxml``: the root filesystem (target /) is the template's."""
    assert ("template", template) in _roots(world, name), _roots(world, name)


@then(parsers.parse('libvirt shows the root of domain "{name}" mounted from "{path}"'))
def root_mounted(world: World, name: str, path: str) -> None:
    """``virsh dumpxml``: the root filesystem (target /) is the directory."""
    assert ("mount", world.ids.paths(path)) in _roots(world, name), _roots(world, name)


def _roots(world: World, name: str) -> list[tuple[str, str]]:
    """(type, template name or directory) of each filesystem mounted at /."""
    roots = []
    for fs in _dumpxml(world, name).iterfind("devices/filesystem"):
        source, target = fs.find("source"), fs.find("target")
        if target is not None and target.get("dir") == "/" and source is not None:
            roots.append((fs.get("type", ""), source.get("name") or source.get("dir") or ""))
    return roots


@then(parsers.parse('libvirt shows domain "{name}" with the uuid it was defined with'))
def same_uuid(world: World, name: str) -> None:
    """``virsh domuuid``: the uuid of the defined XML is kept."""
    assert world.draft is not None, "no domain was defined"
    assert _dumpxml(world, name).findtext("uuid") == world.draft.uuid


@then(parsers.parse('libvirt shows domain "{name}" with the id {ctid:d}'))
def domain_id(world: World, name: str, ctid: int) -> None:
    """``virsh domid``: a running container's domain id is its CT ID."""
    assert _dumpxml(world, name).get("id") == str(world.ids.ct(ctid))


@then(parsers.parse('libvirt shows domain "{name}" with {count:d} vcpus'))
@then(parsers.parse('libvirt shows domain "{name}" with {count:d} vcpu'))
def shows_vcpus(world: World, name: str, count: int) -> None:
    """``virsh dumpxml``: the ``<vcpu>`` count."""
    assert _dumpxml(world, name).findtext("vcpu") == str(count)


@then(parsers.parse('libvirt shows domain "{name}" with {mib:d} MiB of memory'))
def shows_memory(world: World, name: str, mib: int) -> None:
    """``virsh dumpxml``: ``<memory>`` in KiB."""
    assert _dumpxml(world, name).findtext("memory") == str(mib * 1024)


@then(parsers.parse('libvirt\'s XML of domain "{name}" does not mention "{text}"'))
def xml_lacks(world: World, name: str, text: str) -> None:
    """``virsh dumpxml`` has nowhere this text (an element, attribute or value)."""
    xml = etree.tostring(_dumpxml(world, name)).decode()
    assert text not in xml, xml


@then(parsers.parse('the XML of domain "{name}" defines the same domain again'))
def round_trip(world: World, name: str) -> None:
    """A ``virsh dumpxml`` / ``virsh define`` round trip: the XML libvirt gives, defined
    again, gives the same XML back."""
    first = world.driver.dom(world.ids.name(name), "XMLDesc", 0)
    world.driver.call("defineXML", first)
    again = world.driver.dom(world.ids.name(name), "XMLDesc", 0)
    assert _canonical(again) == _canonical(first), f"{first}\n---\n{again}"


def _canonical(xml: str) -> str:
    parser = etree.XMLParser(remove_blank_text=True)
    return etree.tostring(etree.fromstring(xml.encode(), parser), method="c14n").decode()


@then(parsers.parse('libvirt lists domain "{name}" as {state}'))
def listed_state(world: World, name: str, state: str) -> None:
    """``virDomainGetState``: running, paused or shut off."""
    codes = {"running": 1, "paused": 3, "shut off": 5}
    assert world.driver.dom(world.ids.name(name), "state", 0)[0] == codes[state]


@then(parsers.parse('libvirt does not know domain "{name}"'))
def unknown_domain(world: World, name: str) -> None:
    """The driver's list has no such domain."""
    names = [d.name for d in world.driver.call("listAllDomains", 0)]
    world.observe("libvirt's domain list", "listed" if world.ids.name(name) in names else "not listed")
    assert world.ids.name(name) not in names, names
