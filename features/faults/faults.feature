Feature: Faults on the host
  The thread's premise (M1) is that the driver turns the domain XML into vzctl calls, so
  vzctl's answer is the truth. When a vzctl step fails midway through define, start or
  network setup, the driver reports a libvirt error, and what the thread agreed still
  holds: a failed define leaves no container behind, a failed start leaves the container
  stopped. These faults are injected into the simulated host (@sim_only).

  @sim_only @corpus:33 @gap:failed-define-kept
  Scenario: vzctl create fails during define
    Given the host's next "vzctl create" fails with exit 46 and "Not enough disk space"
    And the thread's domain 209 created from template "fedora-core-5-i386"
    When the domain is defined
    Then the call fails with a libvirt error
    And no container 209 is left on the host
    And libvirt does not know domain "209"

  @sim_only @corpus:67
  Scenario: vzctl start fails
    Given the thread's domain 209 with its root in a private area unpacked from template "fedora-core-5-i386"
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
    And the thread's domain 209 with its root in a private area unpacked from template "fedora-core-5-i386"
    And its devices include:
      """
      <interface type='bridge'>
        <source bridge='eth10'/>
        <mac address='00:16:3e:5d:c7:9e'/>
      </interface>
      """
    When the domain is defined
    Then the call fails with a libvirt error
    And no container 209 is left on the host
    And libvirt does not know domain "209"
