//! The container lifecycle engine: state store, status table, runc/crun and conmon drivers,
//! one module per operation (oci-reference.md §5).

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("container \"{id}\" does not exist")]
    NotFound { id: String },
}

pub type Result<T> = std::result::Result<T, RuntimeError>;
