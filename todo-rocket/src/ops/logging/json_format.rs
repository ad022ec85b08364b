//! The JSON log line (`LOG_FORMAT=json`): the same object as `tracing-subscriber`'s `fmt().json()` with
//! `with_current_span(true)`, built at a fraction of its cost.
//!
//! ```json
//! {"timestamp":"…","level":"INFO","fields":{"message":"request","status":200,…},"target":"todo_rocket::request","span":{"request_id":"…","name":"request"}}
//! ```
//!
//! `tracing-subscriber` serializes through an adaptor that turns every fragment serde_json writes (a quote, a key,
//! a run of plain characters) into its own UTF-8 check and string append (benches/README.md, "Counting
//! instructions instead of time: the JSON line was the cost", has the count). Here serde_json writes the whole
//! line into a byte buffer kept per thread, and the line is checked and appended once. [`JsonSpanFields`] does the
//! same for the fields a span stores when it is created.
//!
//! A line logged by a request's handler outside any span gets the same `span` object from the request id its
//! task carries ([`current_request_id`]): with this format the `request` span is off (benches/README.md, "The
//! request span off in the JSON format").
//!
//! A record of the `log` crate (Rocket's own lines), handed over by `tracing-log`, is written with its own target
//! and level and its message only, as `tracing-subscriber`'s JSON format writes it.

use std::cell::{Cell, RefCell};
use std::fmt;

use time::macros::format_description;
use tracing_log::NormalizeEvent;

use crate::ops::request_log::current_request_id;
use tracing::field::{Field, Visit};
use tracing::span::Record;
use tracing::{Event, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// One JSON object per event: `timestamp`, `level`, `fields`, `target`, and `span` (the current span's fields and
/// name) when the event happens inside one. Span fields are read as the fmt layer stored them, so the subscriber
/// must store them as one JSON object: with [`JsonSpanFields`], or `tracing-subscriber`'s `JsonFields`.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonLines;

thread_local! {
    /// The line being built, reused from event to event on a thread.
    static LINE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
    N: for<'writer> FormatFields<'writer> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        LINE.with(|buffer| match buffer.try_borrow_mut() {
            Ok(mut line) => write_line(&mut line, ctx, &mut writer, event),
            // An event logged while this thread formats another (from a field's `Debug`): a buffer of its own.
            Err(_) => write_line(&mut Vec::new(), ctx, &mut writer, event),
        })
    }
}

/// A span's fields, stored as one JSON object (`{"request_id":"…"}`), as `tracing-subscriber`'s `JsonFields`
/// stores them, without its per-fragment cost.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonSpanFields;

impl<'writer> FormatFields<'writer> for JsonSpanFields {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut object = Vec::with_capacity(64);
        object.push(b'{');
        fields.record(&mut JsonFieldsVisitor {
            line: &mut object,
            first: true,
            skip_log_fields: false,
            redact_queries: false,
        });
        object.push(b'}');
        writer.write_str(std::str::from_utf8(&object).map_err(|_| fmt::Error)?)
    }

    /// Fields recorded after the span was created (`Span::record`, rare) replace or join the stored ones, as
    /// `JsonFields` does it.
    fn add_fields(&self, current: &'writer mut FormattedFields<Self>, fields: &Record<'_>) -> fmt::Result {
        let mut merged = FormattedFields::<JsonFields>::new(std::mem::take(&mut current.fields));
        JsonFields::new().add_fields(&mut merged, fields)?;
        current.fields = merged.fields;
        Ok(())
    }
}

fn write_line<S, N>(
    line: &mut Vec<u8>,
    ctx: &FmtContext<'_, S, N>,
    writer: &mut Writer<'_>,
    event: &Event<'_>,
) -> fmt::Result
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
    N: for<'writer> FormatFields<'writer> + 'static,
{
    line.clear();
    let normalized = event.normalized_metadata();
    let metadata = normalized.as_ref().unwrap_or_else(|| event.metadata());
    line.extend_from_slice(b"{\"timestamp\":\"");
    push_timestamp(line, std::time::SystemTime::now())?;
    line.extend_from_slice(b"\",\"level\":\"");
    line.extend_from_slice(metadata.level().as_str().as_bytes());
    line.extend_from_slice(b"\",\"fields\":{");
    // Rocket's own lines name request URIs with their query, which may carry secrets (a provider's code and state).
    let rocket_line = normalized.is_some() && metadata.target().starts_with("rocket");
    let mut fields =
        JsonFieldsVisitor { line, first: true, skip_log_fields: normalized.is_some(), redact_queries: rocket_line };
    event.record(&mut fields);
    line.extend_from_slice(b"},\"target\":");
    push_json(line, metadata.target());
    if let Some(span) = event.parent().and_then(|id| ctx.span(id)).or_else(|| ctx.lookup_current()) {
        line.extend_from_slice(b",\"span\":{");
        let extensions = span.extensions();
        // The fmt layer stored the span's fields as one JSON object: `{"request_id":"…"}`, or nothing.
        let stored = extensions.get::<FormattedFields<N>>().map_or("", |stored| stored.fields.as_str());
        let inner = stored.trim().strip_prefix('{').and_then(|rest| rest.strip_suffix('}')).unwrap_or("").trim();
        if !inner.is_empty() {
            line.extend_from_slice(inner.as_bytes());
            line.push(b',');
        }
        line.extend_from_slice(b"\"name\":");
        push_json(line, span.name());
        line.push(b'}');
    } else {
        // A handler's lines when its `request` span is off (as it is with this format): the same object, from the
        // request id the handler's task carries.
        current_request_id(|id| {
            line.extend_from_slice(b",\"span\":{\"request_id\":");
            push_json(line, id);
            line.extend_from_slice(b",\"name\":\"request\"}");
        });
    }
    line.extend_from_slice(b"}\n");
    // serde_json and the pieces above write UTF-8 only, so this check does not fail.
    writer.write_str(std::str::from_utf8(line).map_err(|_| fmt::Error)?)
}

/// Appends `now` as `tracing-subscriber`'s `SystemTime` writes it: RFC 3339 in UTC, with microseconds
/// (`2026-12-04T01:40:11.123456Z`). The part up to the second is formatted once a second per thread and kept, as
/// formatting the seven numbers through `fmt` on every line was a visible share of the line's cost
/// (benches/README.md, "Counting instructions instead of time: the JSON line was the cost").
fn push_timestamp(line: &mut Vec<u8>, now: std::time::SystemTime) -> fmt::Result {
    thread_local! {
        /// The last second formatted on this thread (Unix time) and its `YYYY-MM-DDTHH:MM:SS`.
        static SECOND: Cell<(u64, [u8; 19])> = const { Cell::new((u64::MAX, [0; 19])) };
    }
    let Ok(since_epoch) = now.duration_since(std::time::UNIX_EPOCH) else {
        return push_timestamp_slowly(line);
    };
    let second = since_epoch.as_secs();
    let (cached, mut text) = SECOND.get();
    if cached != second {
        let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
        let formatted = i64::try_from(second)
            .ok()
            .and_then(|second| time::OffsetDateTime::from_unix_timestamp(second).ok())
            .and_then(|moment| moment.format(format).ok())
            .filter(|formatted| formatted.len() == text.len());
        let Some(formatted) = formatted else { return push_timestamp_slowly(line) };
        text.copy_from_slice(formatted.as_bytes());
        SECOND.set((second, text));
    }
    line.extend_from_slice(&text);
    let mut micros = since_epoch.subsec_micros();
    let mut fraction = *b".000000Z";
    for digit in fraction[1..7].iter_mut().rev() {
        *digit = b'0' + (micros % 10) as u8;
        micros /= 10;
    }
    line.extend_from_slice(&fraction);
    Ok(())
}

/// The clocks `push_timestamp` does not keep (before 1970, beyond year 9999), written by the formatter it stands
/// in for.
fn push_timestamp_slowly(line: &mut Vec<u8>) -> fmt::Result {
    SystemTime.format_time(&mut Writer::new(&mut ByteSink(line)))
}

/// Appends `value` as JSON (a string is quoted and escaped).
fn push_json<T: serde::Serialize + ?Sized>(line: &mut Vec<u8>, value: &T) {
    // Writing to a `Vec` cannot fail, and the values here (strings, numbers, `fmt::Arguments`) always serialize.
    let _ = serde_json::to_writer(line, value);
}

/// Writes each field of an event as `"name":value`, numbers and booleans as JSON numbers and booleans.
struct JsonFieldsVisitor<'a> {
    line: &'a mut Vec<u8>,
    first: bool,
    /// A `log` record's `log.target`, `log.file`, ...: already in the line's metadata, so left out.
    skip_log_fields: bool,
    /// A line of Rocket's own: the query of every URI in its message is left out ([`without_queries`]).
    redact_queries: bool,
}

impl JsonFieldsVisitor<'_> {
    fn field<T: serde::Serialize + ?Sized>(&mut self, field: &Field, value: &T) {
        if self.skip_log_fields && field.name().starts_with("log.") {
            return;
        }
        if !std::mem::take(&mut self.first) {
            self.line.push(b',');
        }
        push_json(self.line, field.name());
        self.line.push(b':');
        push_json(self.line, value);
    }
}

impl Visit for JsonFieldsVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.redact_queries && field.name() == "message" {
            let text = format!("{value:?}");
            self.field(field, without_queries(&text).as_str());
        } else {
            self.field(field, &format_args!("{value:?}"));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if self.redact_queries && field.name() == "message" {
            self.field(field, without_queries(value).as_str());
        } else {
            self.field(field, value);
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.field(field, &value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.field(field, &value);
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        // JSON has no NaN or infinity: serde_json writes them as `null`, as `tracing-subscriber` does.
        self.field(field, &value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.field(field, &value);
    }
}

/// `text` with the query of each URI in it (a word that starts with `/` and has a `?`) replaced by `?…`, a trailing
/// `:` or `.` kept: Rocket's `GET /auth/oidc/google/callback?code=…&state=…:` becomes `GET /auth/oidc/google/callback?…:`.
/// The request log names routes by their template and never has a query; Rocket's own lines need this.
fn without_queries(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (index, word) in text.split(' ').enumerate() {
        if index > 0 {
            out.push(' ');
        }
        match word.find('?').filter(|_| word.starts_with('/')) {
            Some(query) => {
                out.push_str(&word[..query]);
                out.push_str("?…");
                // Rocket's punctuation after the URI (`…:` of a request line, `….` of a sentence) is kept.
                if let Some(last @ (':' | '.')) = word.chars().last() {
                    out.push(last);
                }
            }
            None => out.push_str(word),
        }
    }
    out
}

/// `fmt::Write` into the line's bytes (for the timestamp).
struct ByteSink<'a>(&'a mut Vec<u8>);

impl fmt::Write for ByteSink<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.0.extend_from_slice(text.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::memory::Memory;
    use super::*;

    /// The lines `log` writes through `tracing-subscriber`'s own JSON format, and through [`JsonLines`].
    fn both_ways(log: impl Fn()) -> (Vec<Value>, Vec<Value>) {
        let reference = Memory::default();
        let ours = Memory::default();
        let json = || tracing_subscriber::fmt().json().with_current_span(true).with_span_list(false);
        tracing::subscriber::with_default(json().with_writer(reference.clone()).finish(), &log);
        let lean = json().fmt_fields(JsonSpanFields).event_format(JsonLines);
        tracing::subscriber::with_default(lean.with_writer(ours.clone()).finish(), &log);
        let parse = |captured: Memory| {
            captured
                .lines()
                .iter()
                .map(|line| serde_json::from_str::<Value>(line).expect("one JSON object per line"))
                .map(|mut line| {
                    line.as_object_mut().expect("an object").remove("timestamp").expect("a timestamp");
                    line
                })
                .collect()
        };
        (parse(reference), parse(ours))
    }

    #[test]
    fn queries_are_left_out_of_uris_in_rockets_lines() {
        assert_eq!(
            without_queries("GET /auth/oidc/test/callback?code=secret&state=other:"),
            "GET /auth/oidc/test/callback?…:"
        );
        assert_eq!(without_queries("No matching routes for GET /x?token=secret."), "No matching routes for GET /x?….");
        assert_eq!(
            without_queries("Matched: (callback) GET /auth/oidc/<name>/callback"),
            "Matched: (callback) GET /auth/oidc/<name>/callback"
        );
        assert_eq!(without_queries("what? no URI here"), "what? no URI here");
    }

    #[test]
    fn lines_are_the_objects_tracing_subscriber_writes() {
        let (reference, ours) = both_ways(|| {
            tracing::info!(target: "todo_rocket::request", method = %"GET", status = 200u16, latency_ms = 1.25, "request");
            let span = tracing::info_span!("request", request_id = %"0192f4a0-7c1e");
            span.in_scope(|| {
                tracing::warn!(attempt = -3i64, ok = true, detail = ?Some("x"), "mail sent");
                tracing::error!(quote = "a \"b\" \\ c\n\u{0}é😀", "odd text");
            });
            tracing::info!(ratio = f64::NAN, "not a number");
            let late = tracing::info_span!("late", first = 1u8, second = tracing::field::Empty);
            late.record("second", "now");
            late.record("first", 2u8);
            late.in_scope(|| tracing::info!("recorded later"));
        });
        assert_eq!(ours.len(), 5);
        assert_eq!(ours, reference);
        assert_eq!(ours[1]["span"], json!({"request_id": "0192f4a0-7c1e", "name": "request"}));
        assert_eq!(ours[2]["fields"]["quote"], json!("a \"b\" \\ c\n\u{0}é😀"));
        assert_eq!(ours[4]["span"], json!({"first": 2, "second": "now", "name": "late"}));
    }

    #[test]
    fn a_span_without_fields_is_named_and_the_timestamp_is_rfc3339() {
        let (_, ours) = both_ways(|| tracing::info_span!("startup").in_scope(|| tracing::info!("up")));
        assert_eq!(ours[0]["span"], json!({"name": "startup"}));

        let captured = Memory::default();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .fmt_fields(JsonSpanFields)
            .event_format(JsonLines)
            .with_writer(captured.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || tracing::info!("up"));
        let line: Value = serde_json::from_slice(&captured.bytes()).expect("JSON");
        let timestamp = line["timestamp"].as_str().expect("a string");
        time::OffsetDateTime::parse(timestamp, &time::format_description::well_known::Rfc3339).expect("RFC 3339");
    }

    #[test]
    fn timestamps_have_microseconds_and_the_kept_second_follows_the_clock() {
        use std::time::{Duration, UNIX_EPOCH};
        let reference = |moment: std::time::SystemTime| {
            let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
            time::OffsetDateTime::from(moment).format(format).expect("formats")
        };
        let ours = |moment| {
            let mut line = Vec::new();
            push_timestamp(&mut line, moment).expect("formats");
            String::from_utf8(line).expect("UTF-8")
        };
        let now = std::time::SystemTime::now();
        let moments = [
            UNIX_EPOCH,
            UNIX_EPOCH + Duration::from_micros(1_709_251_199_999_999), // 2024-02-29T23:59:59.999999Z
            UNIX_EPOCH + Duration::from_micros(1_709_251_200_000_001), // the next day, in the next second
            UNIX_EPOCH + Duration::from_nanos(1_709_251_200_000_001_999), // the same second: the kept one
            now,
            now + Duration::from_secs(1),
            now,
        ];
        for moment in moments {
            assert_eq!(ours(moment), reference(moment));
        }
        assert_eq!(ours(UNIX_EPOCH + Duration::from_micros(1_709_251_200_000_001)), "2024-03-01T00:00:00.000001Z");
    }
}
