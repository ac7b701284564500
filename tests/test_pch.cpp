// Anchor of the tests' shared precompiled header.
