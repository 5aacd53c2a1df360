//! Emitters: each one a pure function of the [`crate::ir::Ir`] producing one artifact.

pub mod migrations;
pub mod openapi;
pub mod openapi_api;
pub mod rust;
