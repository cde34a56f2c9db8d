Feature: Lifecycle
  A defined container is started, stopped, rebooted, suspended, resumed and undefined
  through libvirt's domain calls, each reaching vzctl (thread M1: "the OpenVZ driver turns
  the XML into vzctl calls").

  Background:
    Given a private area for container 209 unpacked from template "fedora-core-5-i386"
    And a domain named "209"
    And its devices include corpus item "32" with "/some/path" as "/vz/private/209"
    And the domain is defined

  @corpus:67
  Scenario: Start and shut down
    When domain "209" is started
    Then container 209 is running
    And libvirt lists domain "209" as running
    When domain "209" is shut down
    Then the call succeeds
    And container 209 is down
    And libvirt lists domain "209" as shut off

  @corpus:67
  Scenario: Destroy stops a running container at once
    Given domain "209" is started
    When domain "209" is destroyed
    Then the call succeeds
    And container 209 is down

  @corpus:67
  Scenario: Reboot keeps the container running
    Given domain "209" is started
    When domain "209" is rebooted
    Then the call succeeds
    And container 209 is running

  @corpus:67
  Scenario: Suspend and resume
    Given domain "209" is started
    When domain "209" is suspended
    Then the call succeeds
    And libvirt lists domain "209" as paused
    When domain "209" is resumed
    Then the call succeeds
    And libvirt lists domain "209" as running

  @corpus:56 @gap:undefine-start-destroy
  Scenario: Undefine removes the container
    When domain "209" is undefined
    Then the call succeeds
    And no container 209 is left on the host
    And libvirt does not know domain "209"

  @corpus:56
  Scenario: Autostart sets ONBOOT
    When autostart of domain "209" is turned on
    Then the call succeeds
    And the config of container 209 has ONBOOT "yes"
