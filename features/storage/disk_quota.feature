Feature: Disk quota
  diskspace and diskinodes are the container's disk and inode quota on its root, and df
  inside the container shows them (Evgeniy, M4). Daniel Berrange called this quota
  management, not a disk (M5), and proposed <quota type="size"/> and <quota
  type="inodes"/>, which Evgeniy put inside the filesystem (M6); later libvirt has
  space_hard_limit/space_soft_limit and no inode limit. The quota can be changed while
  the container runs (M4); how that is asked of libvirt was left open.

  @corpus:71 @corpus:25 @corpus:04 @corpus:34 @gap:ostemplate-pointer
  Scenario: The space limits of the template filesystem set DISKSPACE
    Given the host has the OS template "fedora-core-5-i386"
    And a domain named "209"
    And its devices include:
      """
      <filesystem type='template'>
        <source name='fedora-core-5-i386'/>
        <target dir='/'/>
        <space_hard_limit unit='bytes'>1073741824</space_hard_limit>
        <space_soft_limit unit='bytes'>1073741824</space_soft_limit>
      </filesystem>
      """
    When the domain is defined
    Then the call succeeds
    And the config of container 209 has DISKSPACE "1048576:1048576"

  @corpus:57 @corpus:36 @corpus:35 @corpus:44 @gap:ostemplate-pointer @gap:quota-inodes
  Scenario: The inodes quota sets DISKINODES to 200000 and df -i inside shows it
    Given the host has the OS template "fedora-core-5-i386"
    And a domain named "209"
    And its devices include:
      """
      <filesystem type="template">
        <source name="fedora-core-5-i386" />
        <target dir="/"/>
        <quota type="size" max="10000"/>
        <quota type="inodes" max="200000"/>
      </filesystem>
      """
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
    When domain "209" gets this device while running:
      """
      <filesystem type='template'>
        <source name='fedora-core-5-i386'/>
        <target dir='/'/>
        <space_hard_limit unit='KiB'>2097152</space_hard_limit>
      </filesystem>
      """
    Then the call succeeds
    And "df" inside container 209 shows "simfs 2097152"
