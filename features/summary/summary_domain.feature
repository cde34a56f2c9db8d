Feature: The summary domain
  Evgeniy's summary (M10) put the whole agreement into one domain for container 209: a
  template filesystem with its quotas, a bridged interface, NAT, a passed-through NIC and
  a routed interface. Daniel Berrange's answer (M11), the thread's last message, corrected
  the NAT interface, the passthrough and the routed interface, and put the target back.

  @corpus:70 @gap:ostemplate-pointer
  Scenario: The corrected summary domain defines container 209
    Given the host has the OS template "fedora-core-5-i386"
    And the host has a bridge "eth10"
    And the thread's summary domain as corrected in M11
    When the domain is defined
    Then the call succeeds
    And container 209 exists on the host
    And the config of container 209 has OSTEMPLATE "fedora-core-5-i386"
    And the config of container 209 has IP_ADDRESS "192.168.122.1 192.168.122.15"

  @corpus:55 @gap:ostemplate-pointer
  Scenario: The original summary domain, comments and all, defines container 209 too
    Given the host has the OS template "fedora-core-5-i386"
    And the host has a bridge "eth10"
    And the host has a bridge "eth11"
    And the thread's summary domain as Evgeniy wrote it in M10
    When the domain is defined
    Then the call succeeds
    And container 209 exists on the host
