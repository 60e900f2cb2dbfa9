//! Reusable UI pieces.

pub mod choice;
pub mod copy;
pub mod error_notice;
pub mod flash;
pub mod form;
pub mod invitations;
pub mod layout;
pub mod project_switcher;
pub mod raw_text;
