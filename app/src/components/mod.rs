//! Reusable UI pieces.

pub mod choice;
pub mod copy;
pub mod error_notice;
pub mod flash;
pub mod form;
pub mod layout;
pub mod project_switcher;
