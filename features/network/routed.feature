Feature: Routed interfaces
  Routed IPs are per container through venet (vzctl set 150 --ipadd 2.2.2.2 --save, M3);
  they go on the generic <interface type='ethernet'> with <ip address=.../> elements; a new
  type='route' was rejected (M9-M11).

  @corpus:18 @corpus:19 @corpus:20 @corpus:05
  Scenario: vzctl's --ipadd gives container 150 a routed IP
    Given the administrator runs "vzctl create 150 --ostemplate centos-4-i386"
    When the administrator runs "vzctl set 150 --ipadd 2.2.2.2 --save"
    And the administrator runs "vzctl start 150"
    Then the config of container 150 has IP_ADDRESS "2.2.2.2"
    And container 150 has the address 2.2.2.2 on venet0
    And the host routes 2.2.2.2 to venet0

  @corpus:69 @corpus:66 @corpus:37 @corpus:09 @corpus:21
  Scenario: The routed example gives the container both IPs, routed on the host
    Given a private area for container 209 unpacked from template "fedora-core-5-i386"
    And a domain named "209"
    And its devices include corpus item "32" with "/some/path" as "/vz/private/209"
    And its devices include corpus item "69"
    And the domain is defined
    When domain "209" is started
    Then the call succeeds
    And container 209 has the address 192.168.122.1 on venet0
    And container 209 has the address 192.168.122.15 on venet0
    And the host routes 192.168.122.1 to venet0
    And the host routes 192.168.122.15 to venet0
