//! The demo portal's HTML: small, self-contained pages (no script, no external asset, so the
//! only cookies in play are the ones the portal sets in headers), labelled in French and English
//! like an Opendatasoft portal.

use crate::html::escape_html;

/// Every page: a title, the navigation, and `body`.
fn render_page(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>{title} · Portail de démonstration</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
nav a {{ margin-right: 1rem; }}
.en {{ color: #666; font-size: 0.9em; }}
button {{ margin: 0.3rem 0.3rem 0.3rem 0; padding: 0.4rem 0.8rem; }}
code {{ background: #f2f2f2; padding: 0 0.2rem; }}
fieldset {{ margin: 1rem 0; }}
</style>
</head>
<body>
<nav><a href="/">Accueil <span class="en">/ Home</span></a><a href="/consent">Cookies</a><a href="/login">Connexion <span class="en">/ Log in</span></a></nav>
<h1>{title}</h1>
{body}
</body>
</html>
"#
    )
}

/// The home page, listing the cookies the browser sent (names only: values are the visitor's).
pub fn render_home(cookie_names: &[String]) -> String {
    let sent = if cookie_names.is_empty() {
        "<p>Votre navigateur n'a envoyé aucun cookie. <span class=\"en\">Your browser sent no cookie.</span></p>".to_owned()
    } else {
        let items: String = cookie_names
            .iter()
            .map(|name| format!("<li><code>{}</code></li>", escape_html(name)))
            .collect();
        format!("<p>Cookies envoyés par votre navigateur <span class=\"en\">/ Cookies your browser sent</span> :</p>\n<ul>{items}</ul>")
    };
    let body = format!(
        r#"<p>Bienvenue sur le portail de données ouvertes de démonstration. <span class="en">Welcome to the demo open-data portal.</span></p>
<p>Chaque page dépose des cookies nécessaires, des cookies de mesure d'audience et un cookie non déclaré ; consentry, devant le portail, ne laisse passer que ce que le registre et votre choix permettent.
<span class="en">Every page sets necessary cookies, analytics cookies and an undeclared cookie; consentry, in front of the portal, lets through only what the registry and your choice allow.</span></p>
<ul>
<li><a href="/consent">Gérer les cookies <span class="en">/ Manage cookies</span></a></li>
<li><a href="/login">Se connecter <span class="en">/ Log in</span></a></li>
</ul>
{sent}"#
    );
    render_page("Portail de données ouvertes", &body)
}

pub fn render_login() -> String {
    let body = r#"<form method="post" action="/login">
<p><label>Identifiant <span class="en">/ Username</span><br><input name="username" value="demo"></label></p>
<p><label>Mot de passe <span class="en">/ Password</span><br><input name="password" type="password" value="demo"></label></p>
<button type="submit">Se connecter <span class="en">/ Log in</span></button>
</form>
<p class="en">Any username and password will do: this portal only sets a session cookie.</p>"#;
    render_page("Connexion", body)
}

pub fn render_consent() -> String {
    let body = r#"<p>Nous utilisons des cookies statistiques pour mesurer l'audience du portail.
<span class="en">We use statistics cookies to measure the portal's audience.</span></p>
<form method="post" action="/consent" style="display:inline">
<input type="hidden" name="choice" value="accept">
<button type="submit">Tout accepter <span class="en">/ Accept all</span></button>
</form>
<form method="post" action="/consent" style="display:inline">
<input type="hidden" name="choice" value="refuse">
<button type="submit">Tout refuser <span class="en">/ Refuse all</span></button>
</form>
<form method="post" action="/consent">
<fieldset>
<legend>Personnaliser <span class="en">/ Customise</span></legend>
<p><label><input type="checkbox" checked disabled> Cookies nécessaires <span class="en">/ Strictly necessary</span></label></p>
<p><label><input type="checkbox" name="statistics"> Cookies statistiques <span class="en">/ Statistics</span></label></p>
<input type="hidden" name="choice" value="custom">
<button type="submit">Enregistrer <span class="en">/ Save</span></button>
</fieldset>
</form>"#;
    render_page("Vos préférences cookies", body)
}

pub fn render_not_found() -> String {
    render_page(
        "Page introuvable",
        r#"<p>Cette page n'existe pas. <span class="en">This page does not exist.</span> <a href="/">Accueil / Home</a></p>"#,
    )
}

pub fn render_bad_request(reason: &str) -> String {
    render_page(
        "Requête invalide",
        &format!(
            "<p>{} <a href=\"/consent\">Retour / Back</a></p>",
            escape_html(reason)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_lists_cookie_names_escaped() {
        let page = render_home(&["csrftoken".to_owned(), "<b>".to_owned()]);
        assert!(page.contains("<code>csrftoken</code>"));
        assert!(page.contains("<code>&lt;b&gt;</code>"));
    }

    #[test]
    fn consent_page_offers_the_three_choices() {
        let page = render_consent();
        for label in [
            "Tout accepter",
            "Tout refuser",
            "Personnaliser",
            "name=\"statistics\"",
        ] {
            assert!(page.contains(label), "{label}");
        }
    }
}
