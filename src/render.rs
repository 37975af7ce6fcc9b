//! HTML rendering with mdbook-driver.
