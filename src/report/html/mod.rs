//! Self-contained HTML pages: `report.html`, a study report ([`study`]), and
//! `history.html`, the history of a testbed's committed baselines ([`history`]).
//!
//! Each page is one file: an inline style sheet, figures drawn here as inline SVG
//! ([`svg`]) and a little plain JavaScript (hover tooltips, sortable tables, a
//! configuration's table row highlighted with its marks in the figures). Nothing is fetched
//! — no CDN, font or image URL — so a page opens from disk, offline, and can be mailed or
//! archived as it is.

pub mod history;
pub mod page;
pub mod study;
pub mod svg;
