Feature: The summary domain
  Evgeniy's summary domain for container 209 (M10), with Daniel Berrange's corrections
  (M11): a template filesystem with its quotas and target, a bridged interface, NAT
  through the default network, a passed-through NIC and a routed interface.

  @corpus:70 @gap:ostemplate-pointer
  Scenario: The corrected summary domain defines container 209
    Given the host has the OS template "fedora-core-5-i386"
    And the host has a bridge "eth10"
    And the domain of corpus item "70"
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
    And the domain of corpus item "55"
    When the domain is defined
    Then the call succeeds
    And container 209 exists on the host
