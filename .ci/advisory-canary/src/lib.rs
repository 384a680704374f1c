// Empty: only the dependency on smallvec 1.6.0 matters (see Cargo.toml).
