Feature: NAT networks
  NAT is libvirt's virtual network: the interface names the network ('default'), the
  driver looks up its bridge (virbr0) and puts the container's veth on it (M8-M11). The
  summary's bridge interface with a nested <target type='network'> was a misunderstanding,
  corrected into <interface type='network'><source network='default'/>.

  @corpus:63 @corpus:49 @corpus:54 @corpus:52 @corpus:53 @gap:network-type-ignored
  Scenario: NAT puts the container's veth on virbr0
    Given a private area for container 209 unpacked from template "fedora-core-5-i386"
    And a domain named "209"
    And its devices include corpus item "32" with "/some/path" as "/vz/private/209"
    And its devices include "<interface type='network'><source network='default'/></interface>"
    And the domain is defined
    When domain "209" is started
    Then the call succeeds
    And container 209 has a veth on bridge "virbr0"

  @corpus:59
  Scenario: The misunderstood NAT form is just a bridge interface
    Given the host has a bridge "eth11"
    And a private area for container 209 unpacked from template "fedora-core-5-i386"
    And a domain named "209"
    And its devices include corpus item "32" with "/some/path" as "/vz/private/209"
    And its devices include corpus item "59" with " //for NAT" as ""
    And the domain is defined
    When domain "209" is started
    Then container 209 has a veth on bridge "eth11"
