pub mod domain;
pub mod render;
pub mod store;
