// Compiled once; every torch library of core/ reuses its precompiled header.
