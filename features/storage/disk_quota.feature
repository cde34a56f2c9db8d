Feature: Disk quota
  diskspace and diskinodes are the container's disk quota on its root (M3-M5); the thread
  put <quota type="size"/> and <quota type="inodes"/> inside the filesystem (M6-M10);
  later libvirt has space_hard_limit/space_soft_limit. Inside, df shows the quota (M3).
  The quota can be changed on a running container (M3).

  @corpus:71 @corpus:25 @corpus:04 @corpus:34 @gap:ostemplate-pointer
  Scenario: The space limits of the template filesystem set DISKSPACE
    Given the host has the OS template "fedora-core-5-i386"
    And a domain named "209"
    And its devices include corpus item "71"
    When the domain is defined
    Then the call succeeds
    And the config of container 209 has DISKSPACE "1048576:1048576"

  @corpus:57 @corpus:36 @corpus:35 @corpus:44 @gap:ostemplate-pointer
  Scenario: The inodes quota sets DISKINODES to 200000 and df -i inside shows it
    Given the host has the OS template "fedora-core-5-i386"
    And a domain named "209"
    And its devices include corpus item "68"
    When the domain is defined
    And domain "209" is started
    Then the config of container 209 has DISKINODES "200000:200000"
    And "df -i" inside container 209 shows "simfs 200000 6813 193187 4% /"

  @corpus:27 @corpus:28 @corpus:29 @corpus:30
  Scenario: df inside a container shows its quota as the thread's transcript does
    Given the administrator runs "vzctl create 209 --ostemplate fedora-core-5-i386"
    And the administrator runs "vzctl set 209 --diskspace 1048576 --diskinodes 200000 --save"
    When the administrator runs "vzctl start 209"
    Then "df" inside container 209 shows "simfs 1048576 96424 952152 10% /"
    And "df -i" inside container 209 shows "simfs 200000 6813 193187 4% /"

  @corpus:26 @gap:update-device-refused
  Scenario: A quota raised on a running container takes effect at once
    Given the administrator runs "vzctl create 209 --ostemplate fedora-core-5-i386"
    And the administrator runs "vzctl set 209 --diskspace 1048576 --save"
    And the administrator runs "vzctl start 209"
    When domain "209" gets the device "<filesystem type='template'><source name='fedora-core-5-i386'/><target dir='/'/><space_hard_limit unit='KiB'>2097152</space_hard_limit></filesystem>" while running
    Then the call succeeds
    And "df" inside container 209 shows "simfs 2097152"
