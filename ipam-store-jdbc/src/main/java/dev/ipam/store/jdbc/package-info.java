/**
 * {@link dev.ipam.store.jdbc.JdbcStore}: a store on PostgreSQL, MariaDB or H2 that many library
 * instances can share. The schema is created and upgraded by Flyway migrations shipped in this
 * package's resources ({@code dev/ipam/store/jdbc/migration/<database>/}).
 */
package dev.ipam.store.jdbc;
