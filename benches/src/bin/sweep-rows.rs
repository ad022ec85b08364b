//! How many session and refresh-token rows 10,000 logins and refreshes leave, with the housekeeping sweep and
//! without it, against the sessions still live: the figure of `benches/README.md`, "Housekeeping".
//!
//! Each of 10,000 users signs up, logs in and refreshes once (bcrypt cost 4), with sessions that end 5 s after
//! their last refresh, so that most of them end during the run. With the sweep, `sweep_expired` runs after every
//! 1,000 users, as a server's periodic sweep would. On SQLite (a temp file) and, when `TEST_POSTGRES_URL` is set,
//! on a fresh PostgreSQL database.
//!
//! `cargo run --release -p todo-benches --bin sweep-rows`

use std::time::Duration;

use todo_benches::{config, BoxError, ScratchPostgres, PASSWORD};
use todo_core::Todo;

const USERS: usize = 10_000;
const SWEEP_EVERY: usize = 1_000;
const SESSION_LIFETIME: Duration = Duration::from_secs(5);

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), BoxError> {
    let dir = std::env::temp_dir().join(format!("todo-sweep-rows-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    println!("| engine | sweep | sessions | refresh tokens | live sessions | seconds |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for sweep in [false, true] {
        let url = format!("sqlite:{}", dir.join(format!("sweep-{sweep}.db")).display());
        run("sqlite", &url, sweep).await?;
    }
    std::fs::remove_dir_all(&dir)?;
    match std::env::var("TEST_POSTGRES_URL") {
        Ok(server) if !server.trim().is_empty() => {
            for sweep in [false, true] {
                let scratch = ScratchPostgres::create(&server).await?;
                run("postgres", &scratch.url, sweep).await?;
                scratch.drop_database().await?;
            }
        }
        _ => eprintln!("note: TEST_POSTGRES_URL is unset; PostgreSQL skipped"),
    }
    Ok(())
}

/// One run of the scenario on `url`; prints its row of the table.
async fn run(engine: &str, url: &str, sweep: bool) -> Result<(), BoxError> {
    let started = std::time::Instant::now();
    let todo = Todo::connect(&config(url)?.with_refresh_ttl(SESSION_LIFETIME)).await?;
    let accounts = todo.accounts();
    for user in 0..USERS {
        let email = format!("user-{user}@example.com");
        accounts.signup(&email, PASSWORD).await?;
        let login = accounts.login(&email, PASSWORD).await?;
        accounts.refresh(login.refresh_token.as_str()).await?;
        if sweep && (user + 1) % SWEEP_EVERY == 0 {
            accounts.sweep_expired().await?;
        }
    }
    let sessions = todo_benches::count(url, "SELECT COUNT(*) FROM sessions").await?;
    let tokens = todo_benches::count(url, "SELECT COUNT(*) FROM refresh_tokens").await?;
    let now_ms = i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis())?;
    let live_sessions =
        todo_benches::count(url, &format!("SELECT COUNT(*) FROM sessions WHERE expires_at_ms > {now_ms}")).await?;
    println!(
        "| {engine} | {} | {sessions} | {tokens} | {live_sessions} | {:.0} |",
        if sweep { "every 1,000 users" } else { "off" },
        started.elapsed().as_secs_f64()
    );
    todo.store().close().await;
    Ok(())
}
