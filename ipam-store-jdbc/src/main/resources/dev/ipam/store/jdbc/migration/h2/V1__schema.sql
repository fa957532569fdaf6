-- ipam JDBC store, schema version 1 (H2, PostgreSQL mode).
-- Payload columns hold values encoded with dev.ipam.spi.ChangeCodec (version in ipam_head.codec_version).
-- Addresses are stored as family (4 or 6) plus the address bytes in network order (4 or 16 bytes),
-- so byte order is address order within a family.

-- One row: the last committed sequence, and who changed the set of pools last.
CREATE TABLE ipam_head (
    id            SMALLINT NOT NULL PRIMARY KEY CHECK (id = 1),
    last_seq      BIGINT   NOT NULL,
    pools_seq     BIGINT   NOT NULL,
    pools_origin  BIGINT   NOT NULL,
    codec_version INTEGER  NOT NULL
);
INSERT INTO ipam_head (id, last_seq, pools_seq, pools_origin, codec_version) VALUES (1, 0, 0, 0, 1);

-- Live pools; a deleted pool's row is removed.
CREATE TABLE ipam_pool (
    name        VARCHAR(255) NOT NULL PRIMARY KEY,
    created_seq BIGINT       NOT NULL,
    origin      BIGINT       NOT NULL,
    payload     BYTEA        NOT NULL
);

-- Every address of a pool that was ever changed: state 0 free (a tombstone that keeps the last change's
-- sequence and origin), 1 allocated (payload: the allocation), 2 held (the hold), 3 quarantined (the release).
CREATE TABLE ipam_address (
    pool     VARCHAR(255) NOT NULL,
    family   SMALLINT     NOT NULL,
    addr     BYTEA        NOT NULL,
    state    SMALLINT     NOT NULL,
    last_seq BIGINT       NOT NULL,
    origin   BIGINT       NOT NULL,
    payload  BYTEA,
    PRIMARY KEY (pool, family, addr)
);

-- The environment keys of live allocations; the primary key keeps them unique per pool.
CREATE TABLE ipam_env_key (
    pool        VARCHAR(255) NOT NULL,
    environment VARCHAR(255) NOT NULL,
    name        VARCHAR(255) NOT NULL,
    family      SMALLINT     NOT NULL,
    addr        BYTEA        NOT NULL,
    PRIMARY KEY (pool, environment, name)
);

-- The keys of live holds; unique per pool.
CREATE TABLE ipam_hold_key (
    pool     VARCHAR(255) NOT NULL,
    hold_key VARCHAR(255) NOT NULL,
    family   SMALLINT     NOT NULL,
    addr     BYTEA        NOT NULL,
    PRIMARY KEY (pool, hold_key)
);

-- The latest release of each environment key (payload: the release).
CREATE TABLE ipam_last_release (
    pool        VARCHAR(255) NOT NULL,
    environment VARCHAR(255) NOT NULL,
    name        VARCHAR(255) NOT NULL,
    payload     BYTEA        NOT NULL,
    PRIMARY KEY (pool, environment, name)
);

-- Every committed change (payload: the change). in_journal: still readable by sequence;
-- in_history: still part of its address's history. A row goes when both are false.
CREATE TABLE ipam_journal (
    seq        BIGINT       NOT NULL PRIMARY KEY,
    pool       VARCHAR(255),
    family     SMALLINT,
    addr       BYTEA,
    kind       SMALLINT     NOT NULL,
    at_seconds BIGINT       NOT NULL,
    at_nanos   INTEGER      NOT NULL,
    origin     BIGINT       NOT NULL,
    in_journal BOOLEAN      NOT NULL,
    in_history BOOLEAN      NOT NULL,
    payload    BYTEA        NOT NULL
);
CREATE INDEX ipam_journal_address ON ipam_journal (family, addr, seq);

-- Listener positions.
CREATE TABLE ipam_listener (
    name     VARCHAR(255) NOT NULL PRIMARY KEY,
    position BIGINT       NOT NULL
);
