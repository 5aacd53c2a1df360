//! Placeholder until the OpenAPI emitter lands.
/// The OpenAPI document for one schema.
pub fn emit_openapi(_ir: &crate::ir::Ir, _schema: &str) -> String {
    String::from("{}\n")
}
