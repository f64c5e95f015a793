# Shell
language-name = Deutsch
skip-to-content = Zum Inhalt springen
prefs-language = Sprache
prefs-theme = Farbschema
theme-light = Hell
theme-dark = Dunkel
theme-auto = Automatisch

# Landing page
landing-title = Termin buchen
landing-lead = Wählen Sie eine Leistung und eine passende Zeit. Das dauert etwa eine Minute, ganz ohne Konto.
landing-cta = Jetzt buchen

# Error pages
error-home = Zurück zum Anfang
error-title-400 = Ungültige Anfrage
error-text-400 = Diese Anfrage konnten wir nicht verstehen.
error-title-403 = Nicht erlaubt
error-text-403 = Dieses Formular ist abgelaufen oder stammt nicht von dieser Seite. Bitte gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es erneut.
error-title-404 = Nicht gefunden
error-text-404 = Unter dieser Adresse gibt es nichts.
error-title-409 = Bereits vergeben
error-text-409 = Jemand anderes war schneller. Bitte wählen Sie erneut.
error-title-413 = Zu groß
error-text-413 = Ihre Eingabe ist größer als erlaubt.
error-title-422 = Bitte prüfen Sie Ihre Eingaben
error-text-422 = Einige Angaben sind ungültig.
error-title-429 = Zu viele Versuche
error-text-429 = Bitte warten Sie einen Moment, bevor Sie es erneut versuchen.
error-title-500 = Etwas ist schiefgegangen
error-text-500 = Das hat leider nicht geklappt. Bitte versuchen Sie es gleich noch einmal.
