//! The SMTP transport of `slotwise::mail::Mailer` against a real (test) SMTP
//! server: delivery, a dead server, a refusing server, STARTTLS required but
//! not offered.

use crate::support;

use std::time::{Duration, Instant};

use slotwise::config::{MailConfig, MailTransportKind};
use slotwise::mail::{compose, mailbox, Attachment, MailError, Mailer};

use support::smtp::{free_port_url, SmtpServer};
use support::Mail;

fn smtp_mailer(url: String) -> Mailer {
    let config = MailConfig { transport: MailTransportKind::Smtp, smtp_url: url, ..Default::default() };
    Mailer::new(&config).expect("SMTP mailer")
}

fn message(mailer: &Mailer, subject: &str, attachment: Option<Attachment>) -> lettre::Message {
    let to = mailbox("Ada Visitor", "ada@example.test").expect("recipient");
    let text = "Your code is 424242.\n.a line starting with a dot\n".to_string();
    compose(mailer.from_mailbox(), &to, None, subject, (text, "<p>Your code is <b>424242</b>.</p>".into(), attachment))
        .expect("compose")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_delivers_a_composed_message() {
    let server = SmtpServer::start();
    let mailer = smtp_mailer(server.url());
    let ics = Attachment {
        filename: "appointment.ics".into(),
        content_type: "text/calendar; method=PUBLISH; charset=utf-8".into(),
        body: "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:PUBLISH\r\nEND:VCALENDAR\r\n".into(),
    };
    mailer.send(message(&mailer, "Your booking", Some(ics))).await.expect("first send");
    // A second message reuses the pooled connection.
    mailer.send(message(&mailer, "Second", None)).await.expect("second send");

    let received = server.wait_for(2, Duration::from_secs(5));
    assert_eq!(received.len(), 2, "{received:#?}");
    assert_eq!(server.connections(), 1, "the second message reused the connection");
    let first = &received[0];
    assert_eq!(first.from, "bookings@example.test");
    assert_eq!(first.to, vec!["ada@example.test".to_string()]);
    // On the wire: dot-stuffed by lettre, unstuffed by the server; CRLF lines.
    let data = &first.data;
    assert!(data.contains("\r\n.a line starting with a dot\r\n"), "{data}");
    assert!(data.ends_with("\r\n"), "{data}");

    // The message, as a mail reader sees it.
    let mail = Mail::parse(data);
    assert_eq!(mail.subject, "Your booking", "{data}");
    assert_eq!(mail.from.iter().map(ToString::to_string).collect::<Vec<_>>(), ["Slotwise <bookings@example.test>"]);
    assert_eq!(mail.to.iter().map(ToString::to_string).collect::<Vec<_>>(), ["Ada Visitor <ada@example.test>"]);
    assert!(mail.message_id.ends_with("@example.test"), "{}", mail.message_id);
    let types = &mail.content_types;
    assert_eq!(types.first().map(String::as_str), Some("multipart/mixed"), "{types:?}");
    for part in ["multipart/alternative", "text/plain; charset=utf-8", "text/html; charset=utf-8"] {
        assert!(types.iter().any(|t| t == part), "{part} in {types:?}");
    }
    assert!(mail.text.contains("Your code is 424242."), "{}", mail.text);
    assert!(mail.text.lines().any(|line| line == ".a line starting with a dot"), "{}", mail.text);
    assert!(mail.html.contains("<p>Your code is <b>424242</b>.</p>"), "{}", mail.html);
    let [ics] = &mail.attachments[..] else { panic!("one attachment: {:?}", mail.attachments) };
    assert_eq!(ics.filename, "appointment.ics");
    assert_eq!(ics.content_type, "text/calendar; method=PUBLISH; charset=utf-8");
    assert!(ics.body.starts_with("BEGIN:VCALENDAR\r\n"), "{:?}", ics.body);

    let second = Mail::parse(&received[1].data);
    assert_eq!(second.subject, "Second");
    assert!(!second.content_types.iter().any(|t| t == "multipart/mixed"), "{:?}", second.content_types);
    assert!(second.attachments.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_to_a_dead_server_fails_fast() {
    let mailer = smtp_mailer(free_port_url());
    let started = Instant::now();
    let result = mailer.send(message(&mailer, "Nobody listens", None)).await;
    assert!(matches!(result, Err(MailError::Connect(_))), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(15), "took {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_refusal_is_an_error_and_the_mailer_recovers() {
    let server = SmtpServer::start();
    let mailer = smtp_mailer(server.url());
    server.set_refuse(true);
    let result = mailer.send(message(&mailer, "Refused", None)).await;
    assert!(matches!(result, Err(MailError::Smtp(_))), "{result:?}");
    assert!(server.messages().is_empty());

    server.set_refuse(false);
    mailer.send(message(&mailer, "Accepted", None)).await.expect("send after refusal");
    let received = server.wait_for(1, Duration::from_secs(5));
    assert_eq!(received.len(), 1);
    assert_eq!(Mail::parse(&received[0].data).subject, "Accepted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_required_never_falls_back_to_plain_text() {
    // The test server offers no STARTTLS.
    let server = SmtpServer::start();
    let required = smtp_mailer(format!("{}?tls=required", server.url()));
    let result = required.send(message(&required, "Secret", None)).await;
    assert!(matches!(result, Err(MailError::NoStarttls)), "{result:?}");
    assert!(server.messages().is_empty());

    let opportunistic = smtp_mailer(format!("{}?tls=opportunistic", server.url()));
    opportunistic.send(message(&opportunistic, "Plain is fine", None)).await.expect("opportunistic send");
    assert_eq!(server.wait_for(1, Duration::from_secs(5)).len(), 1);
}

#[test]
fn server_speaks_smtp_to_a_plain_client() {
    use std::io::{BufRead, BufReader, Write};

    let server = SmtpServer::start();
    let stream = std::net::TcpStream::connect(("127.0.0.1", server.port())).expect("connect");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut writer = stream;
    let mut expect = |send: &str, code: &str| -> Vec<String> {
        if !send.is_empty() {
            writer.write_all(send.as_bytes()).expect("write");
        }
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("read");
            assert!(line.starts_with(code), "{send:?} -> {line:?}");
            let last = line.as_bytes().get(3) == Some(&b' ');
            lines.push(line);
            if last {
                return lines;
            }
        }
    };
    expect("", "220");
    let ehlo = expect("EHLO tester\r\n", "250");
    assert!(ehlo.len() > 1 && ehlo[..ehlo.len() - 1].iter().all(|l| l.starts_with("250-")), "{ehlo:?}");
    assert!(!ehlo.iter().any(|l| l.contains("STARTTLS") || l.contains("AUTH")), "{ehlo:?}");
    expect("RCPT TO:<b@example.test>\r\n", "503");
    expect("MAIL FROM:<a@example.test> BODY=8BITMIME\r\n", "250");
    expect("RCPT TO:<b@example.test>\r\n", "250");
    expect("RCPT TO:<c@example.test>\r\n", "250");
    expect("NOOP\r\n", "250");
    expect("DATA\r\n", "354");
    expect("Subject: hi\r\n\r\n..dot\r\nbody\r\n.\r\n", "250");
    expect("RSET\r\n", "250");
    expect("MAIL FROM:<>\r\n", "250");
    expect("RSET\r\n", "250");
    expect("DATA\r\n", "503");
    expect("QUIT\r\n", "221");

    let received = server.wait_for(1, Duration::from_secs(5));
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].from, "a@example.test");
    assert_eq!(received[0].to, vec!["b@example.test".to_string(), "c@example.test".to_string()]);
    assert_eq!(received[0].data, "Subject: hi\r\n\r\n.dot\r\nbody\r\n");
}
