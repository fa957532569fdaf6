/**
 * Contract test suites that every store and sink implementation runs.
 */
package dev.ipam.testkit;
