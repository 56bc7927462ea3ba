"""Great Expectations suites and the frames they validate."""
