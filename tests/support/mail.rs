//! Reading the emails the app sent: the file transport's outbox, and the
//! one-time code in a message.

/// The code in an email body: its only standalone run of six digits.
pub fn code_in(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let before = start.checked_sub(1).map(|j| bytes[j]);
            if i - start == 6
                && !before.is_some_and(|b| b.is_ascii_alphanumeric())
                && !bytes.get(i).is_some_and(|b| b.is_ascii_alphanumeric())
            {
                found.push(text[start..i].to_string());
            }
        } else {
            i += 1;
        }
    }
    found.dedup();
    found.pop()
}

/// Every message the file transport wrote to `dir`, oldest first, with
/// quoted-printable soft breaks and `=3D` undone so links can be read.
pub fn read_outbox(dir: &std::path::Path) -> Vec<String> {
    let mut files: Vec<_> =
        std::fs::read_dir(dir).map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect()).unwrap_or_default();
    files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    files.iter().filter_map(|p| std::fs::read_to_string(p).ok()).map(|t| qp_decode(&t)).collect()
}

/// Undoes quoted-printable soft breaks and `=3D`.
pub fn qp_decode(text: &str) -> String {
    text.replace("=\r\n", "").replace("=3D", "=")
}

/// The body of a message, without its headers.
pub fn body(message: &str) -> &str {
    message.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or(message)
}
