package dev.ipam;

import java.util.Objects;

/** Validation of the names and free-text fields the API accepts. */
final class Names {

    static final int MAX_IDENTIFIER = 64;
    static final int MAX_TEXT = 255;
    static final int MAX_HOSTNAME = 253;

    private Names() {
    }

    /** Pool, cloud and zone names: {@code [A-Za-z0-9._-]{1,64}}. */
    static String requireIdentifier(String what, String value) {
        Objects.requireNonNull(value, what);
        if (value.isEmpty() || value.length() > MAX_IDENTIFIER) {
            throw new IllegalArgumentException(
                    "Invalid " + what + " '" + value + "': must be 1 to " + MAX_IDENTIFIER + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-';
            if (!ok) {
                throw new IllegalArgumentException("Invalid " + what + " '" + value
                        + "': only letters, digits, '.', '_' and '-' are allowed");
            }
        }
        return value;
    }

    /** Owner, environment, key names and caller names: 1 to 255 printable characters, not blank. */
    static String requireText(String what, String value) {
        Objects.requireNonNull(value, what);
        if (value.isBlank() || value.length() > MAX_TEXT) {
            throw new IllegalArgumentException(
                    "Invalid " + what + " '" + value + "': must be 1 to " + MAX_TEXT + " characters, not blank");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c)) {
                throw new IllegalArgumentException(
                        "Invalid " + what + " '" + value.replaceAll("\\p{Cntrl}", "?") + "': control characters are not allowed");
            }
            if (Character.isSurrogate(c)) {
                boolean paired = Character.isHighSurrogate(c) && i + 1 < value.length()
                        && Character.isLowSurrogate(value.charAt(i + 1));
                if (!paired) {
                    throw new IllegalArgumentException("Invalid " + what + " '" + value.replaceAll("\\p{Cs}", "?")
                            + "': unpaired surrogate U+" + Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT)
                            + " at index " + i + " (not valid Unicode text)");
                }
                i++;
            }
        }
        return value;
    }

    /** A DNS host name per RFC 1123: dot-separated labels of letters, digits and inner hyphens. */
    static String requireHostname(String value) {
        Objects.requireNonNull(value, "hostname");
        String name = value.endsWith(".") ? value.substring(0, value.length() - 1) : value;
        if (name.isEmpty() || name.length() > MAX_HOSTNAME) {
            throw new IllegalArgumentException(
                    "Invalid hostname '" + value + "': must be 1 to " + MAX_HOSTNAME + " characters");
        }
        for (String label : name.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")) {
                throw new IllegalArgumentException("Invalid hostname '" + value + "': label '" + label
                        + "' must be 1 to 63 characters and not start or end with '-'");
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
                if (!ok) {
                    throw new IllegalArgumentException("Invalid hostname '" + value + "': character '" + c
                            + "' is not allowed (letters, digits and '-' only)");
                }
            }
        }
        return name.toLowerCase(java.util.Locale.ROOT);
    }
}
