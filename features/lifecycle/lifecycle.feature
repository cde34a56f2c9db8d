Feature: Lifecycle
  "The OpenVZ driver turns the XML into vzctl calls" (M1): a defined container is
  started, shut down, destroyed, rebooted, suspended, resumed, marked to start at boot
  and undefined through libvirt's domain calls, each reaching vzctl. The summary (M10)
  names the container by its ID, so the domain and the container are one.

  Background:
    Given the thread's domain 209 with its root in a private area unpacked from template "fedora-core-5-i386"
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
  Scenario Outline: <call> leaves a running container <state>
    Given domain "209" is started
    When domain "209" is <done>
    Then the call succeeds
    And container 209 is <state>

    Examples:
      | call    | done      | state   |
      | Destroy | destroyed | down    |
      | Reboot  | rebooted  | running |

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
