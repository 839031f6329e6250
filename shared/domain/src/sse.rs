//! Reading a `text/event-stream` body by the HTML standard's rules (the
//! "event stream interpretation"): lines end in CRLF, LF or CR; a blank line
//! dispatches the event; `data` lines join with `\n`; lines starting with `:`
//! are comments; one space after the colon is dropped; an event with no data
//! is not dispatched, nor is one the stream ends before its blank line.

/// One dispatched event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    /// The `event` field, or `message`.
    pub event: String,
    pub data: String,
    /// The last `id` seen so far in the stream (the "last event ID").
    pub id: Option<String>,
}

/// Every event of a complete stream, in order.
pub fn parse(body: &str) -> Vec<Event> {
    let body = body.strip_prefix('\u{feff}').unwrap_or(body);
    let mut events = Vec::new();
    let (mut event, mut data, mut id): (Option<String>, Option<String>, Option<String>) = (None, None, None);
    let mut rest = body;
    while !rest.is_empty() {
        // A line ends at CRLF, LF or CR; one not ended before the stream ends is discarded.
        let Some(end) = rest.find(['\r', '\n']) else { break };
        let line = &rest[..end];
        let skip = if rest[end..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[end + skip..];
        if line.is_empty() {
            if let Some(d) = data.take() {
                events.push(Event {
                    event: event.take().unwrap_or_else(|| "message".to_owned()),
                    data: d.strip_suffix('\n').unwrap_or(&d).to_owned(),
                    id: id.clone(),
                });
            }
            event = None;
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => event = Some(value.to_owned()),
            "data" => {
                let d = data.get_or_insert_with(String::new);
                d.push_str(value);
                d.push('\n');
            }
            "id" if !value.contains('\0') => id = Some(value.to_owned()),
            _ => {}
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    fn datas(body: &str) -> Vec<String> {
        parse(body).into_iter().map(|e| e.data).collect()
    }

    #[test]
    fn every_line_ending_is_a_line_ending() {
        for body in ["data: a\n\ndata: b\n\n", "data: a\r\n\r\ndata: b\r\n\r\n", "data: a\r\rdata: b\r\r"] {
            assert_eq!(datas(body), ["a", "b"], "{body:?}");
        }
        // Mixed, as a proxy might leave it.
        assert_eq!(datas("data: a\r\n\ndata: b\n\r\n"), ["a", "b"]);
    }

    #[test]
    fn data_lines_join_comments_are_skipped_and_fields_parse() {
        let events = parse(": keep-alive\r\nevent: message\r\nid: 7\r\ndata: {\"a\":\r\ndata:1}\r\n\r\n");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].data, "{\"a\":\n1}");
        assert_eq!(events[0].id.as_deref(), Some("7"));
        assert_eq!(events[0].event, "message");
        assert_eq!(parse("data\n\n")[0].data, "", "a field with no colon has an empty value");
        assert_eq!(parse("data:  two spaces\n\n")[0].data, " two spaces", "only one space is dropped");
    }

    #[test]
    fn several_events_before_the_response_are_all_read() {
        let body = "event: message\r\ndata: {\"method\":\"notifications/progress\"}\r\n\r\n\
                    event: message\r\ndata: {\"method\":\"notifications/progress\"}\r\n\r\n\
                    event: message\r\ndata: {\"id\":2,\"result\":{}}\r\n\r\n";
        let events = parse(body);
        assert_eq!(events.len(), 3);
        assert!(events[2].data.contains("\"id\":2"));
    }

    #[test]
    fn unfinished_and_empty_events_are_not_dispatched() {
        assert!(parse("event: x\n\n").is_empty(), "no data, no event");
        assert_eq!(datas("data: done\n\ndata: cut off"), ["done"]);
        assert_eq!(datas("\u{feff}data: bom\n\n"), ["bom"]);
        assert!(parse("").is_empty());
    }
}
