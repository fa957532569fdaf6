package dev.ipam;

/**
 * Who performs an operation: a trusted service or person, as the embedding application has
 * authenticated it. Every operation runs as a caller, is checked by the {@link dev.ipam.spi.AccessPolicy}
 * and is recorded with the caller's name.
 *
 * <p>Immutable and thread-safe.
 *
 * @param name 1 to 255 printable characters
 */
public record Caller(String name) {

    /**
     * @throws IllegalArgumentException if the name is blank, too long or has control characters
     * @throws NullPointerException if the name is null
     */
    public Caller {
        Names.requireText("caller name", name);
    }

    /** Same as the constructor. */
    public static Caller of(String name) {
        return new Caller(name);
    }

    @Override
    public String toString() {
        return name;
    }
}
