"""Where flows enter: sources configuration, readers, the synthetic generator, raw tables."""
