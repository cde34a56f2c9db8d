Feature: Identity and naming
  The container ID is the domain's <name>: numeric and permanent; the uuid is kept; a
  running container also shows the ID as the domain's id. The OpenVZ NAME is an alias
  vzctl resolves (thread M2-M4, the summary M10).

  @corpus:56 @corpus:07 @corpus:01 @corpus:10 @corpus:17
  Scenario: The numeric name is the container ID
    Given a private area for container 209 unpacked from template "fedora-core-5-i386"
    And a domain named "209"
    And its devices include corpus item "32" with "/some/path" as "/vz/private/209"
    When the domain is defined
    Then the call succeeds
    And container 209 exists on the host
    And the XML of domain "209" has /domain/name[text()="209"]
    And the XML of domain "209" has /domain/uuid

  @corpus:67
  Scenario: A running container shows its ID as the domain id
    Given a private area for container 209 unpacked from template "fedora-core-5-i386"
    And a domain named "209"
    And its devices include corpus item "32" with "/some/path" as "/vz/private/209"
    And the domain is defined
    When domain "209" is started
    Then the call succeeds
    And container 209 is running
    And the XML of domain "209" has /domain[@id="209"]

  @corpus:11 @corpus:12 @corpus:13 @corpus:14 @corpus:15 @corpus:16 @corpus:08
  Scenario: The OpenVZ NAME is an alias vzctl resolves
    Given the administrator runs "vzctl create 105 --ostemplate centos-4-i386"
    When the administrator runs "vzctl set 105 --name test_vm --save"
    Then vzctl says "CTID 105 exist unmounted down" for "test_vm"
    And the config of container 105 has NAME "test_vm"
