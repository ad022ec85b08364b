//! Someone else's Rocket app, with the whole todo API mounted under `/api/v1` beside its own routes.
//!
//! Run it with `JWT_SECRET=... cargo run -p todo-examples --bin rocket-app`; Swagger UI is then at
//! <http://127.0.0.1:8000/api/v1/swagger-ui/>.

use rocket::{get, routes, Build, Rocket};
use todo_core::Config;

/// The app's own home page.
#[get("/")]
fn home() -> &'static str {
    "My app. Its todo API lives under /api/v1 (docs: /api/v1/swagger-ui/)."
}

/// The app: its own routes at `/`, and the todo API at `/api/v1`.
pub fn rocket(base: Rocket<Build>, config: Config) -> Rocket<Build> {
    todo_rocket::mount(base.mount("/", routes![home]), "/api/v1", config)
}
