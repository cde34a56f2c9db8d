@beyond_thread
Feature: Migration
  Not from the 2008 thread, which never discussed migration: what libvirt's own API
  promises (virDomainMigrate3). A running domain migrated to a second OpenVZ host runs
  there afterwards, with its container, and is gone from the first host; the driver
  moves the container with vzmigrate, live or not. A domain that is not running is not
  migrated, and a migration the destination refuses leaves both hosts as they were.

  Background:
    Given a second OpenVZ host
    And the thread's domain 101 with its root in a private area unpacked from template "fedora-core-5-i386"
    And the domain is defined

  @gap:migrate-memory-unset
  Scenario: A running domain moves to the second host
    Given domain "101" is started
    When the domain 101 is migrated to the second host
    Then the call succeeds
    And the driver ran vzmigrate to the second host for container 101
    And the second host has container 101 running
    And libvirt on the second host lists domain 101 as running
    And the first host no longer has container 101

  @gap:migrate-memory-unset
  Scenario: A running domain moves live to the second host
    Given domain "101" is started
    When the domain 101 is migrated live to the second host
    Then the call succeeds
    And the driver ran vzmigrate --live to the second host for container 101
    And the second host has container 101 running
    And libvirt on the second host lists domain 101 as running
    And the first host no longer has container 101

  Scenario: A domain that is not running is not migrated
    When the domain 101 is migrated to the second host
    Then the call fails with libvirt error VIR_ERR_OPERATION_INVALID
    And container 101 is down
    And the second host has no container 101

  Scenario: A container ID the second host already uses stops the migration
    Given the second host's administrator runs "vzctl create 101 --ostemplate fedora-core-5-i386"
    And the second host's administrator runs "vzctl start 101"
    And domain "101" is started
    When the domain 101 is migrated to the second host
    Then the call fails with a libvirt error
    And container 101 is running
    And the second host has container 101 running
