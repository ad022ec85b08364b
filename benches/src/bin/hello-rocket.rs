//! The framework's ceiling for the load harness: one Rocket route that answers a constant, built with the same
//! Rocket version and release profile as `todo-rocket`, configured from the same `ROCKET_*` variables. The
//! harness divides the app's req/s by this server's, so the ratio is "what the app costs over bare Rocket".

#[rocket::get("/hello")]
fn hello() -> &'static str {
    "Hello, world!"
}

#[rocket::launch]
fn rocket() -> _ {
    rocket::build().mount("/", rocket::routes![hello])
}
