//! Two ways to embed this project in a server of your own:
//!
//! - [`axum_server`]: `todo-core` alone inside an axum app (no Rocket anywhere).
//! - [`rocket_app`]: `todo-rocket` mounted under `/api/v1` beside an app's own Rocket routes.
#![forbid(unsafe_code)]

pub mod axum_server;
pub mod rocket_app;
