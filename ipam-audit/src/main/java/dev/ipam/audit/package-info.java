/**
 * Delivery of audit events to security tools: outbox dispatcher, JSON lines, syslog, HTTP (arrives with the audit work).
 */
package dev.ipam.audit;
