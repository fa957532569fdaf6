/**
 * A store on PostgreSQL, MariaDB or H2 that many library instances can share (arrives with the JDBC store work).
 */
package dev.ipam.store.jdbc;
