"""Survey tests: the bundled instruments are reference data, kept between tests (root conftest)."""
