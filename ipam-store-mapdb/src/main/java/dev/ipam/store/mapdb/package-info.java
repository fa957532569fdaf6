/**
 * The embedded default store, built on MapDB (arrives with the MapDB store work).
 */
package dev.ipam.store.mapdb;
