Feature: Sample config and resource parameters
  The thread rejected naming a vzctl sample config (<config>) in the XML: the settings
  must be visible in the XML, not hidden behind an opaque name (M5-M9). libvirt's generic
  elements carry what they can (vcpus).

  @corpus:03 @corpus:47 @corpus:41
  Scenario: An os/config element is not part of the domain XML
    Given the domain XML "<domain type='openvz'><name>209</name><memory>262144</memory><os><type>exe</type><config>vps.basic</config></os></domain>"
    When the domain is defined
    Then the XML of domain "209" has /domain/os[not(config)]

  @corpus:50
  Scenario: vcpus are a visible resource setting
    Given a private area for container 209 unpacked from template "fedora-core-5-i386"
    And a domain named "209"
    And its devices include corpus item "32" with "/some/path" as "/vz/private/209"
    When the domain is defined
    Then the config of container 209 has CPUS "1"
    And the XML of domain "209" has /domain/vcpu[text()="1"]
