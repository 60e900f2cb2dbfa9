//! Reusable UI pieces.

pub mod area;
pub mod breadcrumbs;
pub mod check_report;
pub mod copy;
pub mod enhance;
pub mod error_notice;
pub mod fields;
pub mod flash;
pub mod form;
pub mod invitations;
pub mod layout;
pub mod member_table;
pub mod members;
pub mod pager;
pub mod project_switcher;
pub mod raw_text;
pub mod section_nav;
pub mod tokens;
