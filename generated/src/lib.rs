//! The server generated from `spec/`: the catalog (tables, constraints, policies,
//! migrations, OpenAPI documents) that the runtime serves.
//!
//! Everything here is produced by `build.rs`; hand-written code is wiring only. The
//! generated code must compile without a single warning.
#![deny(warnings)]

include!(concat!(env!("OUT_DIR"), "/catalog.rs"));
