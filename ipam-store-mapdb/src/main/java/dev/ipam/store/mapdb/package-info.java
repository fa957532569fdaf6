/**
 * The embedded default store: {@link dev.ipam.store.mapdb.MapDbStore}, one MapDB 3.1 file on local disk.
 */
package dev.ipam.store.mapdb;
