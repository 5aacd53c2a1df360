//! The server generated from `spec/`: the catalog (tables, constraints, policies,
//! migrations, OpenAPI documents) that the runtime serves.
//!
//! Everything here is produced by `build.rs`; hand-written code is wiring only.

include!(concat!(env!("OUT_DIR"), "/catalog.rs"));
