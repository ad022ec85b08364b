//! The mails the library sends, and the links in them.

use super::Mail;
use crate::email::Email;

/// The product name in subjects and greetings.
const PRODUCT: &str = "Todo";

/// Which mail, and so which page of the front end its link opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MailKind {
    /// "Confirm your email address": opens `{APP_URL}/verify-email?token=…`.
    VerifyEmail,
    /// "Reset your password": opens `{APP_URL}/reset-password?token=…`.
    ResetPassword,
    /// "Your sign-in link": opens `{APP_URL}/magic-link?token=…`.
    SignIn,
}

/// Builds links to the front end (`APP_URL`) and the mails that carry them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Links {
    /// `APP_URL` without a trailing slash.
    app_url: String,
}

impl Links {
    pub(crate) fn new(app_url: &str) -> Self {
        Self { app_url: app_url.trim_end_matches('/').to_owned() }
    }

    /// The link for `token` (base64url, so it needs no escaping in a query).
    pub(crate) fn link(&self, kind: MailKind, token: &str) -> String {
        let page = match kind {
            MailKind::VerifyEmail => "verify-email",
            MailKind::ResetPassword => "reset-password",
            MailKind::SignIn => "magic-link",
        };
        format!("{}/{page}?token={token}", self.app_url)
    }

    /// The mail of `kind` to `to`, carrying `token`'s link.
    pub(crate) fn mail(&self, kind: MailKind, to: &Email, token: &str) -> Mail {
        let link = self.link(kind, token);
        let (subject, intro, action, expiry, outro) = match kind {
            MailKind::VerifyEmail => (
                format!("Confirm your email address for {PRODUCT}"),
                format!("Welcome to {PRODUCT}! Please confirm that this is your email address."),
                "Confirm my email address",
                "The link works once and expires in 24 hours.",
                format!("If you did not sign up for {PRODUCT}, you can ignore this mail: nothing happens without a click."),
            ),
            MailKind::ResetPassword => (
                format!("Reset your {PRODUCT} password"),
                format!("Someone asked to reset the password of your {PRODUCT} account. To choose a new one, open this link:"),
                "Choose a new password",
                "The link works once and expires in 1 hour. Resetting your password signs you out everywhere.",
                "If you did not ask for this, ignore this mail: your password stays as it is.".to_owned(),
            ),
            MailKind::SignIn => (
                format!("Your {PRODUCT} sign-in link"),
                format!("Someone asked to sign in to your {PRODUCT} account with a link. To sign in, open this link:"),
                "Sign me in",
                "The link works once and expires in 15 minutes.",
                "If you did not ask for this, ignore this mail: nobody signs in without the link.".to_owned(),
            ),
        };
        compose(to, subject, &Body { intro: &intro, action, link: &link, expiry, outro: &outro })
    }

    /// The link of an invitation's `token`: `{APP_URL}/invitations?token=…`.
    pub(crate) fn invitation_link(&self, token: &str) -> String {
        format!("{}/invitations?token={token}", self.app_url)
    }

    /// The mail inviting `to` into the list named `list_name` as `role` (its name in the API: `editor` or `viewer`),
    /// sent on behalf of `inviter`, carrying `token`'s link. The list's name is the inviter's text, as is (in part) their
    /// address: both are escaped in the HTML, and kept on one line (control characters, CR and LF among them, become
    /// spaces) so that they cannot add header lines to the subject or lines of their own to the text.
    pub(crate) fn invitation(&self, to: &Email, inviter: &Email, list_name: &str, role: &str, token: &str) -> Mail {
        let (inviter, list_name) = (one_line(inviter.as_str()), one_line(list_name));
        let link = self.invitation_link(token);
        let subject = format!("{inviter} invited you to the list \u{201c}{list_name}\u{201d} on {PRODUCT}");
        let intro = format!(
            "{inviter} invited you to the list \u{201c}{list_name}\u{201d} on {PRODUCT}, as {article} {role}. To join it, \
             open this link and sign in with this email address (verified):",
            article = if role.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" },
        );
        let body = Body {
            intro: &intro,
            action: "Join the list",
            link: &link,
            // `lists::INVITATION_TTL`.
            expiry: "The link works once and expires in 7 days.",
            outro: "If you did not expect this invitation, ignore this mail: nobody joins without the link.",
        };
        compose(to, subject, &body)
    }
}

/// What a mail says, in the order it says it.
struct Body<'a> {
    intro: &'a str,
    action: &'a str,
    link: &'a str,
    expiry: &'a str,
    outro: &'a str,
}

/// The mail to `to` with `subject` and `body`, as plain text and as HTML (every value escaped there).
fn compose(to: &Email, subject: String, body: &Body<'_>) -> Mail {
    let Body { intro, action, link, expiry, outro } = body;
    let text = format!("Hello,\n\n{intro}\n\n{link}\n\n{expiry}\n\n{outro}\n\n— The {PRODUCT} team\n");
    let html = format!(
        concat!(
            "<!doctype html>\n<html><body style=\"font-family: sans-serif; line-height: 1.5; color: #222\">\n",
            "<p>Hello,</p>\n<p>{intro}</p>\n",
            "<p><a href=\"{href}\" style=\"display: inline-block; padding: 10px 16px; background: #2563eb; ",
            "color: #fff; text-decoration: none; border-radius: 6px\">{action}</a></p>\n",
            "<p style=\"font-size: 13px; color: #555\">Or paste this link into your browser:<br>{href}</p>\n",
            "<p>{expiry}</p>\n<p>{outro}</p>\n<p>— The {product} team</p>\n</body></html>\n"
        ),
        intro = escape(intro),
        href = escape(link),
        action = escape(action),
        expiry = escape(expiry),
        outro = escape(outro),
        product = PRODUCT,
    );
    Mail { to: to.clone(), subject, text, html }
}

/// `text` on one line: each control character (CR, LF, tab, …) becomes a space.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// Escapes text for HTML content and double-quoted attributes.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_point_at_the_front_end_pages() {
        let links = Links::new("https://app.example.com/todo/");
        assert_eq!(links.link(MailKind::VerifyEmail, "abc"), "https://app.example.com/todo/verify-email?token=abc");
        assert_eq!(links.link(MailKind::ResetPassword, "abc"), "https://app.example.com/todo/reset-password?token=abc");
        assert_eq!(links.link(MailKind::SignIn, "abc"), "https://app.example.com/todo/magic-link?token=abc");
    }

    #[test]
    fn every_body_carries_the_link_and_the_html_is_escaped() {
        let links = Links::new("https://app.example.com/a&b");
        let to = Email::parse("ann@example.com").expect("valid");
        for kind in [MailKind::VerifyEmail, MailKind::ResetPassword, MailKind::SignIn] {
            let mail = links.mail(kind, &to, "TOKEN");
            assert!(mail.text.contains(&links.link(kind, "TOKEN")));
            assert!(mail.html.contains("/a&amp;b/") && !mail.html.contains("/a&b/"));
            assert!(mail.html.contains("TOKEN"));
            assert!(!mail.subject.is_empty());
        }
    }

    #[test]
    fn an_invitation_escapes_the_inviters_text_and_keeps_it_out_of_the_headers() {
        let links = Links::new("https://app.example.com/");
        let (to, inviter) =
            (Email::parse("bob@example.com").expect("valid"), Email::parse("ann@example.com").expect("valid"));
        let mail = links.invitation(&to, &inviter, "<b>Groceries</b>\r\nBcc: eve@example.com", "editor", "TOKEN");
        assert_eq!(links.invitation_link("TOKEN"), "https://app.example.com/invitations?token=TOKEN");
        assert!(mail.text.contains("https://app.example.com/invitations?token=TOKEN"));
        assert!(!mail.subject.contains(['\r', '\n']), "{:?}", mail.subject);
        assert!(mail.subject.contains("ann@example.com") && mail.subject.contains("<b>Groceries</b>  Bcc:"));
        assert!(mail.html.contains("&lt;b&gt;Groceries&lt;/b&gt;") && !mail.html.contains("<b>Groceries"));
        assert!(mail.text.contains("as an editor") && mail.text.contains("7 days"));
        assert_eq!(mail.to, to);
    }
}
