Feature: Faults on the host
  When a vzctl step fails midway through define, start or network setup, the driver
  reports a libvirt error, and what the thread agreed still holds: a failed define leaves
  no container behind, a failed start leaves the container stopped (thread M1: the
  driver turns the XML into vzctl calls, and vzctl's answer is the truth).

  @sim_only @corpus:33 @gap:failed-define-kept
  Scenario: vzctl create fails during define
    Given the host's next "vzctl create" fails with exit 46 and "Not enough disk space"
    And a domain named "209"
    When the domain is defined
    Then the call fails with a libvirt error
    And no container 209 is left on the host
    And libvirt does not know domain "209"

  @sim_only @corpus:67
  Scenario: vzctl start fails
    Given a private area for container 209 unpacked from template "fedora-core-5-i386"
    And a domain named "209"
    And its devices include corpus item "32" with "/some/path" as "/vz/private/209"
    And the domain is defined
    And the host's next "vzctl start" fails with exit 78 and "Unable to add IP 10.0.0.1: Address already in use"
    When domain "209" is started
    Then the call fails with a libvirt error
    And container 209 is down
    And libvirt lists domain "209" as shut off

  @sim_only @corpus:58 @gap:failed-define-leaves-container
  Scenario: vzctl fails while setting up the network during define
    Given the host has a bridge "eth10"
    And the host's next "vzctl --netif_add" fails with exit 130 and "/usr/sbin/vznetcfg exited with error"
    And a private area for container 209 unpacked from template "fedora-core-5-i386"
    And a domain named "209"
    And its devices include corpus item "32" with "/some/path" as "/vz/private/209"
    And its devices include corpus item "58" with " //for bridge" as ""
    When the domain is defined
    Then the call fails with a libvirt error
    And no container 209 is left on the host
    And libvirt does not know domain "209"
