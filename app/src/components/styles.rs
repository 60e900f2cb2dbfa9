//! Class lists used on many pages: buttons and links styled as buttons.

/// The classes of a secondary button.
pub const SECONDARY_BUTTON: &str = "rounded-md border border-slate-300 px-3 py-1 text-sm hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 dark:border-slate-700 dark:hover:bg-slate-800";

/// The classes of a destructive button.
pub const DANGER_BUTTON: &str = "rounded-md border border-red-300 px-3 py-1 text-sm text-red-700 hover:bg-red-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-500 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950";

/// The classes of a primary link styled as a button.
pub const PRIMARY_LINK: &str =
    "rounded-md bg-sky-700 px-3 py-1 text-sm font-medium text-white hover:bg-sky-800";
