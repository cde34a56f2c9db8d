Feature: The summary domain
  Evgeniy's summary (M10) put the whole agreement into one domain for container 209: a
  template filesystem with its quotas, a bridged interface, NAT, a passed-through NIC and
  a routed interface. Daniel Berrange's answer (M11), the thread's last message, corrected
  the NAT interface, the passthrough and the routed interface, and put the target back.
  Both sketches leave out <memory> and <os>, which today's libvirt requires of every
  domain (it refuses the XML before the driver sees it); completed with them, the
  corrected domain is what the driver gets. The original's physical device, written as
  <interface type='network'> without a network (corrected into <host class='network'>
  in M11), is refused by libvirt's XML parser, a clear error.

  @corpus:70 @gap:ostemplate-pointer
  Scenario: The corrected summary domain defines container 209
    Given the host has the OS template "fedora-core-5-i386"
    And the host has a bridge "eth10"
    And the domain of corpus item "70" with the <memory> and <os> libvirt now requires
    When the domain is defined
    Then the call succeeds
    And container 209 exists on the host
    And the config of container 209 has OSTEMPLATE "fedora-core-5-i386"
    And the config of container 209 has IP_ADDRESS "192.168.122.1 192.168.122.15"

  @corpus:55
  Scenario: The original summary domain's physical-device interface is refused before vzctl runs
    Given the host has the OS template "fedora-core-5-i386"
    And the host has a bridge "eth10"
    And the host has a bridge "eth11"
    And the domain of corpus item "55" with the <memory> and <os> libvirt now requires
    When the domain is defined
    Then the call fails with a libvirt error saying "interface type='network' requires a 'source' element"
    And no container 209 is left on the host

  @corpus:55
  Scenario: The summary domain as written in 2008, without <os>, is refused before vzctl runs
    Given the host has the OS template "fedora-core-5-i386"
    And the thread's summary domain as Evgeniy wrote it in M10
    When the domain is defined
    Then the call fails with a libvirt error saying "an os <type> must be specified"
    And no container 209 is left on the host

  @corpus:70
  Scenario: The corrected summary as written in M11, without <os> either, is refused before vzctl runs
    Given the host has the OS template "fedora-core-5-i386"
    And the thread's summary domain as corrected in M11
    When the domain is defined
    Then the call fails with a libvirt error saying "an os <type> must be specified"
    And no container 209 is left on the host
